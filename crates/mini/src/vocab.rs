//! The mini-Flamingo's words and the two kinds of text it reads: captions and few-shot episodes.
//!
//! - Caption: `<image> shows a red circle and an orange square <eoc>`, objects left to
//!   right, or `<image> shows nothing <eoc>` for a blank picture; generated from the
//!   prompt `<image> shows` ([`CAPTION_PROMPT`]): after `<image>` alone, an episode's `:`
//!   is as likely as a caption, so the prompt says which, as Flamingo's "<image> A photo
//!   of" does.
//! - Episode: shots `<image> : red <eoc>`, then the query `<image> :`, whose answer is
//!   the next word. The task (colour or shape) is only in the shots' answers; training
//!   sometimes names it (`<image> colour : red <eoc>`), evaluation never does.

use crate::scene::{Colour, Picture, Rng, Scene, Shape};

/// Every word, by id. Image markers are plain tokens to the language model. The
/// second edition added the last four: what captions of two objects, of a blank
/// picture and of an orange one need, and the caption prompt's verb.
pub const WORDS: [&str; 21] = [
    "<pad>", "<image>", "<eoc>", ":", "a", "red", "green", "blue", "yellow", "purple", "orange",
    "circle", "square", "triangle", "cross", "colour", "shape", "an", "and", "nothing", "shows",
];

pub const PAD: u32 = 0;
pub const IMAGE: u32 = 1;
pub const EOC: u32 = 2;
pub const COLON: u32 = 3;
pub const A: u32 = 4;
const FIRST_COLOUR: u32 = 5;
const FIRST_SHAPE: u32 = 11;
const FIRST_TASK: u32 = 15;
pub const AN: u32 = 17;
pub const AND: u32 = 18;
pub const NOTHING: u32 = 19;
pub const SHOWS: u32 = 20;

/// What a caption is generated from: `<image> shows`.
pub const CAPTION_PROMPT: [u32; 2] = [IMAGE, SHOWS];

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

/// A colour or shape word: what a few-shot answer may be.
pub fn is_attribute(id: u32) -> bool {
    colour_of(id).is_some() || shape_of(id).is_some()
}

/// "an" before a vowel: only "orange" has one.
pub fn article(c: Colour) -> u32 {
    if c.word().starts_with(['a', 'e', 'i', 'o', 'u']) {
        AN
    } else {
        A
    }
}

/// What a caption says after `shows`: `a red circle and an orange square`, objects left
/// to right, or `nothing`.
pub fn description(scene: &Scene) -> Vec<u32> {
    if scene.objects.is_empty() {
        return vec![NOTHING];
    }
    let mut words = Vec::with_capacity(4 * scene.objects.len());
    for (i, o) in scene.objects.iter().enumerate() {
        if i > 0 {
            words.push(AND);
        }
        words.extend([
            article(o.colour),
            colour_token(o.colour),
            shape_token(o.shape),
        ]);
    }
    words
}

/// Tokens as words, space-separated.
pub fn sentence(ids: &[u32]) -> String {
    ids.iter().map(|&t| word(t)).collect::<Vec<_>>().join(" ")
}

/// What a generated caption names, left to right: `Some([])` for `nothing`; `None`
/// when the words do not read as a caption (`<eoc>` and anything after it are ignored).
pub fn read_caption(words: &[u32]) -> Option<Vec<(Colour, Shape)>> {
    let end = words.iter().position(|&t| t == EOC).unwrap_or(words.len());
    let words = &words[..end];
    if words == [NOTHING] {
        return Some(Vec::new());
    }
    words
        .split(|&t| t == AND)
        .map(|object| match *object {
            [article, colour, shape] if article == A || article == AN => {
                Some((colour_of(colour)?, shape_of(shape)?))
            }
            _ => None,
        })
        .collect()
}

/// Per token, whether the picture decides it: every word of a caption after `shows`
/// (`<eoc>` included: one object or two), and an episode's answer. Other words are
/// structure, predictable from the text alone. Training reports the two losses apart.
pub fn picture_decided(tokens: &[u32]) -> Vec<bool> {
    let mut in_caption = false;
    let mut after_colon = false;
    tokens
        .iter()
        .map(|&t| {
            let decided = in_caption || after_colon;
            after_colon = t == COLON;
            if t == SHOWS {
                in_caption = true;
            } else if t == EOC {
                in_caption = false;
            }
            decided
        })
        .collect()
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

    /// The answer's token for a scene of one object.
    ///
    /// # Panics
    /// If the scene is blank.
    pub fn answer(self, scene: &Scene) -> u32 {
        let object = scene
            .objects
            .first()
            .expect("an episode's scene has an object");
        match self {
            Task::Colour => colour_token(object.colour),
            Task::Shape => shape_token(object.shape),
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
    /// `<image> shows a red circle <eoc>`: the whole caption, for training.
    pub fn caption(scene: Scene) -> Prompt {
        let mut tokens = CAPTION_PROMPT.to_vec();
        tokens.extend(description(&scene));
        tokens.push(EOC);
        Prompt {
            tokens,
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
        sentence(&self.tokens)
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
    /// `shots` random scenes of one object, then a random query, the task never named.
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

    /// The same query with only the last `shots` of its shots, the ones nearest it.
    ///
    /// # Panics
    /// If the episode has fewer shots.
    pub fn last_shots(&self, shots: usize) -> Episode {
        let (query, had) = self.prompt.scenes.split_last().expect("a query");
        Episode {
            task: self.task,
            prompt: Prompt::episode(self.task, &had[had.len() - shots..], query.clone(), false),
            answer: self.answer,
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
            "<image> shows a red circle <eoc>"
        );
        let mut two = red_circle.clone();
        let mut orange_square = Scene::with(&mut rng, Shape::Square, Colour::Orange);
        two.objects.push(orange_square.objects.remove(0));
        assert_eq!(
            Prompt::caption(two.clone()).text(),
            "<image> shows a red circle and an orange square <eoc>"
        );
        let blank = Scene::blank(&mut rng);
        assert_eq!(
            Prompt::caption(blank.clone()).text(),
            "<image> shows nothing <eoc>"
        );
        assert_eq!(
            read_caption(&description(&two)),
            Some(vec![
                (Colour::Red, Shape::Circle),
                (Colour::Orange, Shape::Square)
            ])
        );
        assert_eq!(read_caption(&[NOTHING, EOC]), Some(vec![]));
        let red = colour_token(Colour::Red);
        assert_eq!(read_caption(&[A, red]), None);
        assert_eq!(read_caption(&[A, red, AND, NOTHING]), None);
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
    fn the_picture_decides_a_captions_words_and_an_answer() {
        let mut rng = Rng::new(4);
        let caption = Prompt::caption(Scene::with(&mut rng, Shape::Cross, Colour::Blue));
        // <image> shows a blue cross <eoc>
        assert_eq!(
            picture_decided(&caption.tokens),
            [false, false, true, true, true, true]
        );
        let shot = Scene::with(&mut rng, Shape::Cross, Colour::Blue);
        let mut episode = Prompt::episode(
            Task::Colour,
            std::slice::from_ref(&shot),
            shot.clone(),
            true,
        );
        episode.tokens.extend([colour_token(Colour::Blue), EOC]);
        // <image> colour : blue <eoc> <image> colour : blue <eoc>
        assert_eq!(
            picture_decided(&episode.tokens),
            [
                false, false, false, true, false, false, false, false, true, false
            ]
        );
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
    fn fewer_shots_keep_the_query_and_the_shots_nearest_it() {
        let whole = Episode::sample(&mut Rng::new(4), Task::Shape, MAX_SHOTS);
        let scenes = &whole.prompt.scenes;
        let two = whole.last_shots(2);
        assert_eq!(
            two.prompt,
            Prompt::episode(Task::Shape, &scenes[6..8], scenes[8].clone(), false)
        );
        assert_eq!((two.task, two.answer), (whole.task, whole.answer));
        assert_eq!(whole.last_shots(0).prompt.text(), "<image> :");
        assert_eq!(whole.last_shots(MAX_SHOTS), whole);
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
        assert!(!is_attribute(EOC) && is_attribute(colour_token(Colour::Red)));
        assert_eq!(article(Colour::Orange), AN);
        assert_eq!(article(Colour::Red), A);
        assert_eq!(colour_of(A), None);
        assert_eq!(shape_of(99), None);
    }
}
