//! "Measure": few-shot accuracy against the number of shots over seeded episodes,
//! counted in pieces small enough that the page keeps drawing between them, and
//! the order a worker is sent to count one piece.

pub use mini::evaluate::PIECE;
use mini::evaluate::episodes;
use mini::vocab::{Episode, MAX_SHOTS, Task};

use crate::trained::Trained;

/// Some episodes of one task, each with every shot: a worker counts them at 0 to 8
/// shots at once ([`mini::evaluate::few_shot_correct`]).
#[derive(Debug, Clone)]
pub struct Piece {
    pub task: Task,
    pub episodes: Vec<Episode>,
}

/// "Measure": `n` seeded episodes per task, each asked with 0 to 8 of its shots, the
/// same episodes `flamingo mini eval` draws for the seed, counted piece by piece.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub n: usize,
    pub seed: u64,
    /// Per number of shots, per task (in `Task::ALL` order): (correct, counted).
    counts: Vec<[(usize, usize); 2]>,
}

impl Measurement {
    pub fn new(n: usize, seed: u64) -> Measurement {
        Measurement {
            n,
            seed,
            counts: vec![[(0, 0); 2]; MAX_SHOTS + 1],
        }
    }

    /// Every piece, the two tasks side by side.
    pub fn pieces(&self) -> Vec<Piece> {
        let per_task = Task::ALL.map(|task| episodes(self.seed, task, self.n));
        let mut out = Vec::new();
        for start in (0..self.n).step_by(PIECE) {
            for (task, all) in Task::ALL.into_iter().zip(&per_task) {
                out.push(Piece {
                    task,
                    episodes: all[start..(start + PIECE).min(self.n)].to_vec(),
                });
            }
        }
        out
    }

    /// A piece's count of right answers at each number of shots, 0 to 8.
    pub fn add(&mut self, piece: &Piece, correct: &[usize]) {
        let task = Task::ALL
            .iter()
            .position(|&t| t == piece.task)
            .expect("a task");
        for (cells, &right) in self.counts.iter_mut().zip(correct) {
            cells[task].0 += right;
            cells[task].1 += piece.episodes.len();
        }
    }

    /// Episodes counted (each number of shots counting once), of all there are.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.counts.iter().flatten().map(|c| c.1).sum();
        (done, self.n * Task::ALL.len() * (MAX_SHOTS + 1))
    }

    /// Per number of shots, once both tasks have episodes counted: the accuracy of each
    /// task over the episodes counted so far and their mean. Every number of shots
    /// asks the same queries, so the rows sharpen together as pieces come back.
    pub fn accuracy(&self) -> Vec<Option<([f64; 2], f64)>> {
        self.counts
            .iter()
            .map(|cells| {
                cells.iter().all(|c| c.1 > 0).then(|| {
                    let per = cells.map(|(right, all)| right as f64 / all as f64);
                    (per, (per[0] + per[1]) / 2.0)
                })
            })
            .collect()
    }
}

/// One piece of a [`Measurement`], named so that a worker holding the same model can
/// count it: the measurement (`n`, `seed`), the piece's index in its
/// [`Measurement::pieces`], and the gate scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PieceOrder {
    pub n: usize,
    pub seed: u64,
    pub index: usize,
    pub scale: f32,
}

impl PieceOrder {
    /// The order as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        [self.n as u64, self.seed, self.index as u64]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .chain(self.scale.to_le_bytes())
            .collect()
    }

    /// An order from [`PieceOrder::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let bad = || "malformed piece order".to_owned();
        if bytes.len() != 28 {
            return Err(bad());
        }
        let word =
            |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let size = |v: u64| usize::try_from(v).map_err(|_| bad());
        Ok(Self {
            n: size(word(0))?,
            seed: word(1),
            index: size(word(2))?,
            scale: f32::from_le_bytes(bytes[24..28].try_into().expect("4 bytes")),
        })
    }
}

/// A piece's counts ([`Counter::count`]) as bytes, one `u64` per number of shots.
pub fn counts_to_bytes(counts: &[usize]) -> Vec<u8> {
    counts
        .iter()
        .flat_map(|&c| (c as u64).to_le_bytes())
        .collect()
}

/// Counts from [`counts_to_bytes`]: one per number of shots, 0 to 8, or a message.
pub fn counts_from_bytes(bytes: &[u8]) -> Result<Vec<usize>, String> {
    if bytes.len() != 8 * (MAX_SHOTS + 1) {
        return Err("a count came back malformed".to_owned());
    }
    bytes
        .chunks(8)
        .map(|b| {
            usize::try_from(u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .map_err(|_| "a count came back malformed".to_owned())
        })
        .collect()
}

/// The model in a worker, counting the pieces of a measurement it is sent by index;
/// the measurement's episodes are drawn once.
pub struct Counter {
    trained: Trained,
    pieces: Option<((usize, u64), Vec<Piece>)>,
}

impl Counter {
    pub fn new(trained: Trained) -> Self {
        Self {
            trained,
            pieces: None,
        }
    }

    /// How many of the ordered piece's episodes are answered right at each number of shots.
    pub async fn count(&mut self, order: &PieceOrder) -> Result<Vec<usize>, String> {
        let key = (order.n, order.seed);
        if self.pieces.as_ref().is_none_or(|(k, _)| *k != key) {
            let pieces = Measurement::new(order.n, order.seed).pieces();
            self.pieces = Some((key, pieces));
        }
        let pieces = &self.pieces.as_ref().expect("just drawn").1;
        let piece = pieces
            .get(order.index)
            .ok_or_else(|| format!("no piece {} of {}", order.index, pieces.len()))?;
        Ok(self.trained.count(piece, order.scale).await)
    }
}

#[cfg(test)]
mod tests {
    use flamingo::burn::tensor::Device;
    use mini::Gating;
    use mini::inference::resolved;
    use mini::vocab::WORDS;

    use super::*;
    use crate::episode::Teaching;
    use crate::trained::tests::{WEIGHTS, blue_triangle, looking_at};

    #[test]
    fn measuring_piece_by_piece_counts_what_the_evaluation_counts() {
        let mut trained = looking_at(blue_triangle());
        let mut m = Measurement::new(12, 5);
        let pieces = m.pieces();
        assert_eq!(pieces.len(), 2 * 2, "12 episodes make two pieces per task");
        assert_eq!(
            pieces.iter().map(|p| p.episodes.len()).collect::<Vec<_>>(),
            [10, 10, 2, 2]
        );
        m.add(&pieces[0], &resolved(trained.count(&pieces[0], 1.0)));
        assert_eq!(m.progress(), (9 * 10, 9 * 2 * 12));
        assert!(
            m.accuracy().iter().all(Option::is_none),
            "one task of one piece"
        );
        m.add(&pieces[1], &resolved(trained.count(&pieces[1], 1.0)));
        assert!(m.accuracy().iter().all(Option::is_some));
        assert_eq!(m.progress(), (9 * 2 * 10, 9 * 2 * 12));
        for piece in &pieces[2..] {
            m.add(piece, &resolved(trained.count(piece, 1.0)));
        }
        assert_eq!(m.progress(), (9 * 2 * 12, 9 * 2 * 12));
        let accuracy = m.accuracy();
        for (i, task) in Task::ALL.into_iter().enumerate() {
            let whole = resolved(mini::evaluate::few_shot_accuracy(
                trained.model(),
                &episodes(5, task, 12),
                Gating::default(),
            ));
            for (shots, cell) in accuracy.iter().enumerate() {
                let (per, mean) = cell.unwrap();
                assert_eq!(per[i], whole[shots], "{task:?} at {shots} shots");
                assert_eq!(mean, (per[0] + per[1]) / 2.0);
            }
        }
        let first = &pieces[0].episodes[0];
        let step = resolved(trained.answer(&Teaching::of(first), 1.0));
        assert_eq!(step.probabilities.len(), WORDS.len());
    }

    /// Counting an episode at fewer shots from its whole batch is the same as asking
    /// the shorter episode alone, as the few-shot panel does.
    #[test]
    fn fewer_shots_counted_in_the_batch_answer_as_the_episode_alone() {
        let mut trained = looking_at(blue_triangle());
        let piece = &Measurement::new(3, 9).pieces()[1];
        let counted = resolved(trained.count(piece, 0.7));
        for shots in [0, 1, 4, MAX_SHOTS] {
            let alone = piece
                .episodes
                .iter()
                .filter(|e| {
                    let fewer = e.last_shots(shots);
                    resolved(trained.answer(&Teaching::of(&fewer), 0.7)).token == e.answer
                })
                .count();
            assert_eq!(counted[shots], alone, "{shots} shots");
        }
    }

    #[test]
    fn a_counter_counts_an_ordered_piece_as_the_page_counts_it() {
        let trained = looking_at(blue_triangle());
        let pieces = Measurement::new(12, 5).pieces();
        let mut counter = Counter::new(Trained::load(WEIGHTS, &Device::flex()).unwrap());
        for index in [0, 1, pieces.len() - 1] {
            let order = PieceOrder {
                n: 12,
                seed: 5,
                index,
                scale: 0.5,
            };
            let back = PieceOrder::from_bytes(&order.to_bytes()).unwrap();
            assert_eq!(back, order);
            let counts = resolved(counter.count(&back)).unwrap();
            assert_eq!(counts, resolved(trained.count(&pieces[index], 0.5)));
            assert_eq!(counts_from_bytes(&counts_to_bytes(&counts)), Ok(counts));
        }
        let beyond = PieceOrder {
            n: 12,
            seed: 5,
            index: pieces.len(),
            scale: 1.0,
        };
        assert!(
            resolved(counter.count(&beyond))
                .unwrap_err()
                .contains("no piece 4 of 4")
        );
        assert!(PieceOrder::from_bytes(&[0; 27]).is_err());
        assert!(counts_from_bytes(&[0; 8]).is_err());
    }
}
