//! "Measure": few-shot accuracy against the number of shots over seeded episodes,
//! counted in pieces small enough that the page keeps drawing between them, and
//! the order a worker is sent to count one piece.

use mini::evaluate::episodes;
use mini::vocab::{Episode, MAX_SHOTS, Task};

use crate::trained::Trained;

/// Episodes measured in one go: small enough that the page keeps drawing between pieces.
pub const PIECE: usize = 10;

/// Some episodes of one task and number of shots.
#[derive(Debug, Clone)]
pub struct Piece {
    pub task: Task,
    pub shots: usize,
    pub episodes: Vec<Episode>,
}

/// "Measure": `n` seeded episodes per task and per number of shots, 0 to 8, the same
/// episodes `flamingo mini eval` draws for the seed, counted piece by piece.
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

    /// Every piece, fewest shots first, so the curve fills from the left.
    pub fn pieces(&self) -> Vec<Piece> {
        let mut out = Vec::new();
        for shots in 0..=MAX_SHOTS {
            for task in Task::ALL {
                for chunk in episodes(self.seed, task, shots, self.n).chunks(PIECE) {
                    out.push(Piece {
                        task,
                        shots,
                        episodes: chunk.to_vec(),
                    });
                }
            }
        }
        out
    }

    pub fn add(&mut self, piece: &Piece, correct: usize) {
        let task = Task::ALL
            .iter()
            .position(|&t| t == piece.task)
            .expect("a task");
        let cell = &mut self.counts[piece.shots][task];
        cell.0 += correct;
        cell.1 += piece.episodes.len();
    }

    /// Episodes counted, of all there are.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.counts.iter().flatten().map(|c| c.1).sum();
        (done, self.n * Task::ALL.len() * (MAX_SHOTS + 1))
    }

    /// Per number of shots, once both tasks are counted: the accuracy of each task and their mean.
    pub fn accuracy(&self) -> Vec<Option<([f64; 2], f64)>> {
        self.counts
            .iter()
            .map(|cells| {
                cells.iter().all(|c| c.1 == self.n && self.n > 0).then(|| {
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

    /// How many of the ordered piece's episodes are answered right.
    pub async fn count(&mut self, order: &PieceOrder) -> Result<usize, String> {
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
        assert_eq!(pieces.len(), 9 * 2 * 2, "12 episodes make two pieces");
        for piece in &pieces {
            if piece.shots <= 1 {
                m.add(piece, resolved(trained.count(piece, 1.0)));
            }
        }
        assert_eq!(m.progress(), (2 * 2 * 12, 9 * 2 * 12));
        let accuracy = m.accuracy();
        assert!(accuracy[2..].iter().all(Option::is_none));
        for (shots, cell) in accuracy.iter().enumerate().take(2) {
            let (per, mean) = cell.unwrap();
            for (i, task) in Task::ALL.into_iter().enumerate() {
                let whole = resolved(mini::evaluate::few_shot_accuracy(
                    trained.model(),
                    &episodes(5, task, shots, 12),
                    Gating::default(),
                ));
                assert_eq!(per[i], whole, "{task:?} at {shots} shots");
            }
            assert_eq!(mean, (per[0] + per[1]) / 2.0);
        }
        let first = &pieces[0].episodes[0];
        let step = resolved(trained.answer(&Teaching::of(first), 1.0));
        assert_eq!(step.probabilities.len(), WORDS.len());
    }

    #[test]
    fn a_counter_counts_an_ordered_piece_as_the_page_counts_it() {
        let trained = looking_at(blue_triangle());
        let pieces = Measurement::new(12, 5).pieces();
        let mut counter = Counter::new(Trained::load(WEIGHTS, &Device::flex()).unwrap());
        for index in [0, 5, pieces.len() - 1] {
            let order = PieceOrder {
                n: 12,
                seed: 5,
                index,
                scale: 0.5,
            };
            let back = PieceOrder::from_bytes(&order.to_bytes()).unwrap();
            assert_eq!(back, order);
            assert_eq!(
                resolved(counter.count(&back)).unwrap(),
                resolved(trained.count(&pieces[index], 0.5))
            );
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
                .contains("no piece 36 of 36")
        );
        assert!(PieceOrder::from_bytes(&[0; 27]).is_err());
    }
}
