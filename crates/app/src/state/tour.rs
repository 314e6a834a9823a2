//! The guided tour: it walks the overview stage by stage, from the picture to the next
//! word, then the prompt's mask and few-shot prompting. Each step opens its stage,
//! highlights a panel, asks a question to predict, and sets the controls it needs.

use flamingo::MaskRule;

use crate::state::url_state::{Preset, Stage, TOUR_STEPS, UrlState};

/// One step of the tour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Heading.
    pub title: &'static str,
    /// The overview's stage the step is about, opened with it; `None` where the step
    /// is about the prompt rather than one stage.
    pub stage: Option<Stage>,
    /// Element id of the panel the step highlights.
    pub panel: &'static str,
    /// What to predict before looking: the student commits to an answer first.
    pub question: &'static str,
    /// What to look at, in a few sentences: the reveal.
    pub text: &'static str,
}

/// The steps, in the overview's order from the picture to the next word, then the
/// two lessons about prompts.
pub const STEPS: [Step; TOUR_STEPS] = [
    Step {
        title: "The frozen encoder reads the picture as patch features",
        stage: Some(Stage::Encoder),
        panel: "trained",
        question: "The encoder cuts the 32 × 32 picture into an 8 × 8 grid. How many feature vectors will the resampler receive? Will dragging \"Gate scale\" change them?",
        text: "The overview's encoder stage shows the 64 patch features, one per 4 × 4 pixel patch, as an 8 × 8 map of their lengths; the arrow after it carries their shape. Drag \"Gate scale\": the map does not move, because the encoder is frozen and comes before every gate. Give it another picture and the map changes with it.",
    },
    Step {
        title: "The resampler turns N patches into K tokens",
        stage: Some(Stage::Resampler),
        panel: "resampler",
        question: "A 480 px picture gives 900 patches. How many tokens will the language model receive for it? And for a 224 px picture?",
        text: "A 480 px picture cut into 16 px patches gives 900 patch features; 64 latents read them all and leave as 64 tokens. Switch the image size to 224 px: 196 patches in, still 64 tokens out. The language model therefore sees the same shape whatever the picture's resolution. Click a heatmap row to see where one latent looks.",
    },
    Step {
        title: "A closed gate keeps the language model exact",
        stage: Some(Stage::Block(0)),
        panel: "trained",
        question: "Every gate is at 0. Will two different pictures get different captions? What will the overview's dials and next-word bars show?",
        text: "The gate scale is 0, so every gate is tanh(0) = 0: each gated block multiplies what it read from the picture by zero and adds nothing, and the overview's dials point straight up, at 0. \"Same as the frozen language model alone?\" compares every logit with the language model's own and reads identical, and any two pictures get the same caption, the language model's guess. Now drag \"Gate scale\" towards 1: the picture flows in, added to what the text already had, and the caption starts to describe it.",
    },
    Step {
        title: "The picture's word rises after the gated blocks",
        stage: Some(Stage::NextWord),
        panel: "trained",
        question: "The picture enters the language model only at the gated blocks. At which of the overview's layers can the picture's word first become likely?",
        text: "The first gated block sits before LM layer 2, so LM layer 1 has only the words so far: the picture has not entered yet. Read the logit lens along the overview's layers (the probability of the picture's word after each one): whatever the picture adds can show only from LM layer 2 on. Close the gate and every layer reads as the language model alone, which has its own guess at every layer.",
    },
    Step {
        title: "Each word sees only the image just before it",
        stage: None,
        panel: "sequence",
        question: "A sentence holds two images. Which image will a word after the second image attend to? And a word before the first image?",
        text: "Two images sit in the sentence. Read the mask: words after image 1 attend to image 1 only, words after image 2 to image 2 only, and the words before the first image get no visual input at all. Drag an <image> marker and watch the mask follow, or switch the rule to \"all preceding images\" to compare.",
    },
    Step {
        title: "A few-shot prompt is examples, then a question",
        stage: None,
        panel: "few-shot-live",
        question: "With no example in the prompt, how often will the model name the right thing, the colour or the shape? With one example?",
        text: "Few-shot prompting puts worked examples in the prompt: image, answer, end of chunk, repeated, then the query image with its answer left open. No weight changes; the model continues the pattern. The curve below is measured now, in your browser, over seeded episodes: with no example the trained model cannot tell which task is meant, and with one it can. Change the shots to see an episode and its mask grow.",
    },
];

/// Reads a page's link: a tour step sets its controls first; keys given in the query
/// then override them, so a link to a step carries the teacher's own changes.
pub fn read_link(query: &str) -> (UrlState, Vec<String>) {
    let mut base = UrlState::default();
    // The link's own reading of `tour` (clamped as every key is) picks the step.
    apply(UrlState::parse(query).0.tour, &mut base);
    UrlState::parse_onto(base, query)
}

/// The step `s` is at, if the tour is open.
pub fn current(s: &UrlState) -> Option<&'static Step> {
    s.tour.checked_sub(1).and_then(|i| STEPS.get(i))
}

/// Sets the controls step `step` (1-based) is about. Steps outside the tour change nothing.
pub fn apply(step: usize, s: &mut UrlState) {
    s.tour = step;
    match step {
        1 | 4 => s.scale = 1.0,
        2 => {
            s.size = 480;
            s.patch = 16;
            s.k = 64;
        }
        3 => {
            s.scale = 0.0;
            s.alpha = 0.0;
            s.ff = 0.0;
            Preset::Single.apply(s);
        }
        5 => {
            s.len = 12;
            s.images = vec![2, 7];
            s.mode = MaskRule::MostRecent;
            s.preset = None;
            s.alpha = 1.0;
        }
        6 => {
            Preset::FewShot.apply(s);
            s.mode = MaskRule::MostRecent;
        }
        _ => {
            s.tour = 0;
            return;
        }
    }
    s.open = STEPS[step - 1].stage;
}

/// The step the arrow keys or buttons lead to: 1…=STEPS.len(), staying put at the ends.
pub fn neighbour(step: usize, forward: bool) -> usize {
    if forward {
        (step + 1).min(STEPS.len())
    } else {
        step.saturating_sub(1).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sequence::prompt;

    #[test]
    fn each_step_sets_what_its_text_claims() {
        let at = |step| {
            let mut s = UrlState::default();
            apply(step, &mut s);
            s
        };
        let one = at(1);
        assert_eq!((one.open, one.scale), (Some(Stage::Encoder), 1.0));
        let closed = at(3);
        assert_eq!(
            (closed.scale, closed.alpha, closed.ff, closed.tour),
            (0.0, 0.0, 0.0, 3)
        );
        assert_eq!(closed.open, Some(Stage::Block(0)));
        let two = at(2);
        assert_eq!(two.open, Some(Stage::Resampler));
        let n = lab::stand_in::grid(two.size, two.patch).pow(2);
        assert_eq!((n, two.k), (900, 64), "900 patches, 64 latents");
        assert_eq!(at(4).open, Some(Stage::NextWord));
        let three = at(5);
        assert_eq!(three.open, None);
        let mask = prompt(&three).mask(three.mode);
        assert!(
            !mask.sees_media(0) && !mask.sees_media(1),
            "words before the first image"
        );
        assert!(mask.allowed(3, 0) && !mask.allowed(8, 0) && mask.allowed(8, 1));
        let four = at(6);
        assert_eq!(four.preset, Some(Preset::FewShot));
        assert_eq!(prompt(&four).media_positions().len(), 4);
    }

    #[test]
    fn a_link_to_a_step_sets_the_step_and_keeps_explicit_values() {
        let (s, notices) = read_link("tour=2");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!((s.tour, s.k, s.size), (2, 64, 480));
        let (s, _) = read_link("tour=3&alpha=2");
        assert_eq!((s.tour, s.alpha, s.ff), (3, 2.0, 0.0));
        let (s, _) = read_link("tour=3&open=picture");
        assert_eq!(s.open, Some(Stage::Picture), "the link's own stage wins");
        let (s, notices) = read_link("tour=9");
        assert_eq!(s.tour, STEPS.len());
        assert_eq!(notices.len(), 1);
        assert_eq!(read_link(&at_query(5)).0.images, vec![2, 7]);
    }

    fn at_query(step: usize) -> String {
        let mut s = UrlState::default();
        apply(step, &mut s);
        s.to_query()
    }

    #[test]
    fn arrows_stay_inside_the_tour() {
        assert_eq!(neighbour(1, false), 1);
        assert_eq!(neighbour(1, true), 2);
        assert_eq!(neighbour(STEPS.len(), true), STEPS.len());
        assert_eq!(neighbour(0, true), 1);
    }
}
