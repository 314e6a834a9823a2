//! The mini-Flamingo's words and the two kinds of text it reads: captions and few-shot episodes.
//!
//! - Caption: `<image> a red circle <eoc>`, generated from the prompt `<image> a`
//!   ([`CAPTION_PROMPT`]): after `<image>` alone, an episode's `:` is as likely as a
//!   caption, so the prompt says which, as Flamingo's "<image> A photo of" does.
//! - Episode: shots `<image> : red <eoc>`, then the query `<image> :`, whose answer is
//!   the next word. The task (colour or shape) is only in the shots' answers; training
//!   sometimes names it (`<image> colour : red <eoc>`), evaluation never does.

use crate::scene::{Colour, Picture, Rng, Scene, Shape};

/// Every word, by id. Image markers are plain tokens to the language model.
pub const WORDS: [&str; 17] = [
    "<pad>", "<image>", "<eoc>", ":", "a", "red", "green", "blue", "yellow", "purple", "orange",
    "circle", "square", "triangle", "cross", "colour", "shape",
];

pub const PAD: u32 = 0;
pub const IMAGE: u32 = 1;
pub const EOC: u32 = 2;
pub const COLON: u32 = 3;
pub const A: u32 = 4;
const FIRST_COLOUR: u32 = 5;
const FIRST_SHAPE: u32 = 11;
const FIRST_TASK: u32 = 15;

/// What a caption is generated from: `<image> a`.
pub const CAPTION_PROMPT: [u32; 2] = [IMAGE, A];

/// Longest sequence the language model is built for: eight named shots and a query.
pub const MAX_LEN: usize = 48;
/// Most shots an episode holds.
pub const MAX_SHOTS: usize = 8;

pub fn word(id: u32) -> &'static str {
    WORDS.get(id as usize).copied().unwrap_or("<?>")
}

pub fn colour_token(c: Colour) -> u32 {
    FIRST_COLOUR + Colour::ALL.iter().position(|&x| x == c).unwrap() as u32
}

pub fn shape_token(s: Shape) -> u32 {
    FIRST_SHAPE + Shape::ALL.iter().position(|&x| x == s).unwrap() as u32
}

pub fn colour_of(id: u32) -> Option<Colour> {
    id.checked_sub(FIRST_COLOUR)
        .and_then(|i| Colour::ALL.get(i as usize).copied())
}

pub fn shape_of(id: u32) -> Option<Shape> {
    id.checked_sub(FIRST_SHAPE)
        .and_then(|i| Shape::ALL.get(i as usize).copied())
}

/// What a word says about the picture: a colour or shape word. Other words are
/// structure, predictable from the text alone.
pub fn depends_on_image(id: u32) -> bool {
    colour_of(id).is_some() || shape_of(id).is_some()
}

/// What a few-shot episode asks about its pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    Colour,
    Shape,
}

impl Task {
    pub const ALL: [Task; 2] = [Task::Colour, Task::Shape];

    pub fn word(self) -> &'static str {
        match self {
            Task::Colour => "colour",
            Task::Shape => "shape",
        }
    }

    fn token(self) -> u32 {
        FIRST_TASK + self as u32
    }

    /// The answer's token for a scene.
    pub fn answer(self, scene: &Scene) -> u32 {
        match self {
            Task::Colour => colour_token(scene.colour),
            Task::Shape => shape_token(scene.shape),
        }
    }

    /// How many answers the task has: 1 / choices is chance.
    pub fn choices(self) -> usize {
        match self {
            Task::Colour => Colour::ALL.len(),
            Task::Shape => Shape::ALL.len(),
        }
    }
}

/// An episode's tokens: `<image> [task] : answer <eoc>` per shot, then `<image> [task] :`.
pub fn episode_tokens(answers: &[u32], named: Option<Task>) -> Vec<u32> {
    let image = |tokens: &mut Vec<u32>| {
        tokens.push(IMAGE);
        tokens.extend(named.map(Task::token));
        tokens.push(COLON);
    };
    let mut tokens = Vec::with_capacity(5 * answers.len() + 3);
    for &answer in answers {
        image(&mut tokens);
        tokens.extend([answer, EOC]);
    }
    image(&mut tokens);
    tokens
}

/// Token ids with the scenes their `<image>` markers stand for, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub tokens: Vec<u32>,
    pub scenes: Vec<Scene>,
}

impl Prompt {
    /// `<image> a red circle <eoc>`: the whole caption, for training.
    pub fn caption(scene: Scene) -> Prompt {
        Prompt {
            tokens: vec![
                IMAGE,
                A,
                colour_token(scene.colour),
                shape_token(scene.shape),
                EOC,
            ],
            scenes: vec![scene],
        }
    }

    /// Shots `<image> [task] : answer <eoc>`, then `<image> [task] :`. The query's
    /// answer is not in the prompt; `named` writes the task word after each image.
    pub fn episode(task: Task, shots: &[Scene], query: Scene, named: bool) -> Prompt {
        let answers: Vec<u32> = shots.iter().map(|s| task.answer(s)).collect();
        let mut scenes = shots.to_vec();
        scenes.push(query);
        Prompt {
            tokens: episode_tokens(&answers, named.then_some(task)),
            scenes,
        }
    }

    /// The scenes drawn, one picture per `<image>`.
    pub fn pictures(&self) -> Vec<Picture> {
        self.scenes.iter().map(Scene::render).collect()
    }

    pub fn text(&self) -> String {
        self.tokens
            .iter()
            .map(|&t| word(t))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `true` at each `<image>` token: the core's `media_locations`.
    pub fn media_locations(&self) -> Vec<bool> {
        self.tokens.iter().map(|&t| t == IMAGE).collect()
    }
}

/// A seeded few-shot episode with its expected answer, as evaluation draws it: the task hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub task: Task,
    pub prompt: Prompt,
    pub answer: u32,
}

impl Episode {
    /// `shots` random scenes, then a random query, the task never named.
    pub fn sample(rng: &mut Rng, task: Task, shots: usize) -> Episode {
        let scenes: Vec<Scene> = (0..shots).map(|_| Scene::sample(rng)).collect();
        let query = Scene::sample(rng);
        let answer = task.answer(&query);
        Episode {
            task,
            prompt: Prompt::episode(task, &scenes, query, false),
            answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_read_as_the_lesson_writes_them() {
        let mut rng = Rng::new(2);
        let red_circle = Scene::with(&mut rng, Shape::Circle, Colour::Red);
        let blue_cross = Scene::with(&mut rng, Shape::Cross, Colour::Blue);
        assert_eq!(
            Prompt::caption(red_circle.clone()).text(),
            "<image> a red circle <eoc>"
        );
        let hidden = Prompt::episode(
            Task::Shape,
            std::slice::from_ref(&red_circle),
            blue_cross.clone(),
            false,
        );
        assert_eq!(hidden.text(), "<image> : circle <eoc> <image> :");
        assert_eq!(hidden.scenes.len(), 2);
        assert_eq!(hidden.media_locations().iter().filter(|&&m| m).count(), 2);
        let named = Prompt::episode(Task::Colour, &[red_circle], blue_cross, true);
        assert_eq!(named.text(), "<image> colour : red <eoc> <image> colour :");
    }

    #[test]
    fn the_longest_episode_fits_the_language_model() {
        let mut rng = Rng::new(0);
        let shots: Vec<Scene> = (0..MAX_SHOTS).map(|_| Scene::sample(&mut rng)).collect();
        let p = Prompt::episode(Task::Colour, &shots, Scene::sample(&mut rng), true);
        // The answer and its <eoc> follow.
        assert!(p.tokens.len() + 2 <= MAX_LEN, "{}", p.tokens.len());
    }

    #[test]
    fn words_round_trip() {
        for c in Colour::ALL {
            assert_eq!(word(colour_token(c)), c.word());
            assert_eq!(colour_of(colour_token(c)), Some(c));
        }
        for s in Shape::ALL {
            assert_eq!(word(shape_token(s)), s.word());
            assert_eq!(shape_of(shape_token(s)), Some(s));
        }
        for t in Task::ALL {
            assert_eq!(word(t.token()), t.word());
        }
        assert!(!depends_on_image(EOC) && depends_on_image(colour_token(Colour::Red)));
        assert_eq!(colour_of(A), None);
        assert_eq!(shape_of(99), None);
    }
}
