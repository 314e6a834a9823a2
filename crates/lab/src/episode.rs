//! A few-shot episode as the page shows and answers it: shots, each a picture with its
//! answer, then a query picture. A seeded episode and one the student builds from their
//! own pictures become the same [`Teaching`], so one token row, one mask and one answer
//! serve both.

use mini::scene::{Colour, Picture, Shape};
use mini::vocab::{Episode, IMAGE, MAX_SHOTS, colour_token, episode_tokens, shape_token};

/// What the model is shown: `<image> : answer <eoc>` per shot, then `<image> :`.
#[derive(Debug, Clone, PartialEq)]
pub struct Teaching {
    pub shots: Vec<(Picture, u32)>,
    pub query: Picture,
}

impl Teaching {
    /// A seeded episode's shots with the answers its task gives them.
    pub fn of(episode: &Episode) -> Teaching {
        let mut pictures = episode.prompt.pictures();
        let query = pictures.pop().expect("an episode has a query");
        let shots = pictures
            .into_iter()
            .zip(&episode.prompt.scenes)
            .map(|(p, scene)| (p, episode.task.answer(scene)))
            .collect();
        Teaching { shots, query }
    }

    pub fn tokens(&self) -> Vec<u32> {
        let answers: Vec<u32> = self.shots.iter().map(|&(_, a)| a).collect();
        episode_tokens(&answers, None)
    }

    /// One picture per `<image>`, in order.
    pub fn pictures(&self) -> Vec<&Picture> {
        self.shots
            .iter()
            .map(|(p, _)| p)
            .chain([&self.query])
            .collect()
    }

    /// `true` at each `<image>` token: the core's `media_locations`.
    pub fn media_locations(&self) -> Vec<bool> {
        self.tokens().iter().map(|&t| t == IMAGE).collect()
    }
}

/// The words a student may give a shot as its answer: the model's colour words, then its
/// shape words. The few-shot tasks answer with these and nothing else.
pub fn answer_words() -> Vec<u32> {
    Colour::ALL
        .map(colour_token)
        .into_iter()
        .chain(Shape::ALL.map(shape_token))
        .collect()
}

/// A student's picture in their episode, and the answer they gave it (none yet when just added).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnShot {
    pub picture: Picture,
    /// "your drawing" or the file's name.
    pub name: String,
    pub answer: Option<u32>,
}

/// An episode a student builds from their own pictures, one step at a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OwnEpisode {
    pub shots: Vec<OwnShot>,
    pub query: Option<(Picture, String)>,
}

impl OwnEpisode {
    /// Adds a shot awaiting its answer, kept as the model sees it (32 × 32); an episode
    /// holds at most as many shots as the model was trained with.
    pub fn add_shot(&mut self, picture: &Picture, name: String) -> Result<(), String> {
        if self.shots.len() >= MAX_SHOTS {
            return Err(format!(
                "An episode holds at most {MAX_SHOTS} shots, as many as the model was trained with: remove one first."
            ));
        }
        self.shots.push(OwnShot {
            picture: picture.fit(),
            name,
            answer: None,
        });
        Ok(())
    }

    /// The picture to answer about, kept as the model sees it.
    pub fn set_query(&mut self, picture: &Picture, name: String) {
        self.query = Some((picture.fit(), name));
    }

    /// What is still missing, as a sentence for the student; else the episode to answer.
    pub fn teaching(&self) -> Result<Teaching, String> {
        if let Some(i) = self.shots.iter().position(|s| s.answer.is_none()) {
            return Err(format!(
                "Pick an answer for shot {}: the shots teach the task by their answers.",
                i + 1
            ));
        }
        let Some((query, _)) = &self.query else {
            return Err(
                "Add a query: the picture the model should answer about, after the shots.".into(),
            );
        };
        Ok(Teaching {
            shots: self
                .shots
                .iter()
                .map(|s| (s.picture.clone(), s.answer.expect("checked above")))
                .collect(),
            query: query.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use mini::inference::resolved;
    use mini::scene::{Rng, Scene};
    use mini::vocab::{Task, word};

    use super::*;
    use crate::drawing::{Drawing, Ink};
    use crate::trained::Trained;
    use flamingo::burn::tensor::Device;

    const WEIGHTS: &[u8] = include_bytes!("../../../assets/mini-flamingo.safetensors");

    #[test]
    fn a_seeded_episode_keeps_its_tokens_and_pictures() {
        for task in Task::ALL {
            let e = Episode::sample(&mut Rng::new(7), task, 3);
            let t = Teaching::of(&e);
            assert_eq!(t.tokens(), e.prompt.tokens);
            assert_eq!(
                t.pictures().into_iter().cloned().collect::<Vec<_>>(),
                e.prompt.pictures()
            );
            assert_eq!(t.media_locations(), e.prompt.media_locations());
        }
    }

    #[test]
    fn an_own_episode_says_what_it_still_needs() {
        let picture = Scene::blank(&mut Rng::new(1)).render();
        let mut own = OwnEpisode::default();
        assert!(own.teaching().unwrap_err().starts_with("Add a query"));
        own.add_shot(&picture, "your drawing".into()).unwrap();
        assert!(
            own.teaching()
                .unwrap_err()
                .starts_with("Pick an answer for shot 1")
        );
        own.shots[0].answer = Some(colour_token(Colour::Red));
        own.set_query(&picture, "your drawing".into());
        let t = own.teaching().unwrap();
        assert_eq!(word(t.tokens()[2]), "red");
        for _ in 1..MAX_SHOTS {
            own.add_shot(&picture, "x".into()).unwrap();
        }
        assert!(
            own.add_shot(&picture, "x".into())
                .unwrap_err()
                .contains("at most 8")
        );
        let words: Vec<&str> = answer_words().into_iter().map(word).collect();
        assert_eq!(words.len(), 10);
        assert!(words.contains(&"orange") && words.contains(&"triangle"));
    }

    /// A shape drawn on the pad as a student draws it: an outline with the medium
    /// brush, or filled by a thick zigzag.
    fn drawn(colour: Colour, outline: &[(f32, f32)], filled: bool) -> Picture {
        let mut d = Drawing::default();
        let ink = Ink::Paint(colour);
        if filled {
            let (x0, x1) = outline
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
            let (y0, y1) = outline
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            d.begin(ink, 18.0, (x0, y0));
            let mut y = y0;
            while y <= y1 {
                d.extend((x1, y));
                d.extend((x0, y + 6.0));
                y += 12.0;
            }
        } else {
            d.begin(ink, 9.0, outline[0]);
            for &p in &outline[1..] {
                d.extend(p);
            }
            d.extend(outline[0]);
        }
        d.render()
    }

    fn circle(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
        (0..24)
            .map(|i| {
                let a = i as f32 / 24.0 * std::f32::consts::TAU;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect()
    }

    fn square(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
        vec![
            (cx - r, cy - r),
            (cx + r, cy - r),
            (cx + r, cy + r),
            (cx - r, cy + r),
        ]
    }

    fn triangle(cx: f32, cy: f32, r: f32) -> Vec<(f32, f32)> {
        vec![(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    }

    /// The browser test's episode, natively: two drawings as shots, a third as the query.
    #[test]
    fn two_drawn_shots_teach_the_task_for_a_drawn_query() {
        let mut trained = Trained::load(WEIGHTS, &Device::flex()).unwrap();
        let shots = [
            drawn(Colour::Red, &circle(64.0, 64.0, 40.0), false),
            drawn(Colour::Blue, &square(60.0, 70.0, 35.0), true),
        ];
        let query = drawn(Colour::Green, &triangle(64.0, 64.0, 40.0), false);
        for (answers, expected) in [
            (
                [colour_token(Colour::Red), colour_token(Colour::Blue)],
                "green",
            ),
            (
                [shape_token(Shape::Circle), shape_token(Shape::Square)],
                "triangle",
            ),
        ] {
            let teaching = Teaching {
                shots: shots.iter().cloned().zip(answers).collect(),
                query: query.clone(),
            };
            let step = resolved(trained.answer(&teaching, 1.0));
            assert_eq!(step.word(), expected, "{:?}", step.top(3));
        }
        // The same query, seen as a caption, is what the shots' answers pick from.
        resolved(trained.see(&query));
        assert_eq!(
            resolved(trained.caption(1.0)).unwrap().text,
            "a green triangle"
        );
    }
}
