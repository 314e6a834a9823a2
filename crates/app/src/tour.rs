//! The guided tour: the lesson's four objectives as steps, each a panel to look at,
//! a few sentences, and the controls it sets.

use flamingo::MaskRule;

use crate::url_state::{Preset, UrlState};

/// One step of the tour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Heading.
    pub title: &'static str,
    /// Element id of the panel the step highlights.
    pub panel: &'static str,
    /// What to predict before looking: the student commits to an answer first.
    pub question: &'static str,
    /// What to look at, in a few sentences: the reveal.
    pub text: &'static str,
}

/// The steps, in the lesson's order.
pub const STEPS: [Step; 4] = [
    Step {
        title: "A closed gate keeps the language model exact",
        panel: "trained",
        question: "Every gate is at 0. Will two different pictures get different captions? What will the overview's next-word bars look like?",
        text: "The gate scale is 0, so every gate is tanh(0) = 0: each gated block multiplies what it read from the picture by zero and adds nothing. \"Same as the frozen language model alone?\" compares every logit with the language model's own and reads identical, and any two pictures get the same caption, the language model's guess. Now drag \"Gate scale\" towards 1: the picture flows in, added to what the text already had, and the caption starts to describe it.",
    },
    Step {
        title: "The resampler turns N patches into K tokens",
        panel: "resampler",
        question: "A 480 px picture gives 900 patches. How many tokens will the language model receive for it? And for a 224 px picture?",
        text: "A 480 px picture cut into 16 px patches gives 900 patch features; 64 latents read them all and leave as 64 tokens. Switch the image size to 224 px: 196 patches in, still 64 tokens out. The language model therefore sees the same shape whatever the picture's resolution. Click a heatmap row to see where one latent looks.",
    },
    Step {
        title: "Each word sees only the image just before it",
        panel: "sequence",
        question: "A sentence holds two images. Which image will a word after the second image attend to? And a word before the first image?",
        text: "Two images sit in the sentence. Read the mask: words after image 1 attend to image 1 only, words after image 2 to image 2 only, and the words before the first image get no visual input at all. Drag an <image> marker and watch the mask follow, or switch the rule to \"all preceding images\" to compare.",
    },
    Step {
        title: "A few-shot prompt is examples, then a question",
        panel: "few-shot-live",
        question: "With no example in the prompt, how often will the model name the right thing, the colour or the shape? With one example?",
        text: "Few-shot prompting puts worked examples in the prompt: image, answer, end of chunk, repeated, then the query image with its answer left open. No weight changes; the model continues the pattern. The curve below is measured now, in your browser, over seeded episodes: with no example the trained model cannot tell which task is meant, and with one it can. Change the shots to see an episode and its mask grow.",
    },
];

/// Sets the controls step `step` (1-based) is about. Steps outside the tour change nothing.
pub fn apply(step: usize, s: &mut UrlState) {
    s.tour = step;
    match step {
        1 => {
            s.scale = 0.0;
            s.alpha = 0.0;
            s.ff = 0.0;
            Preset::Single.apply(s);
        }
        2 => {
            s.size = 480;
            s.patch = 16;
            s.k = 64;
        }
        3 => {
            s.len = 12;
            s.images = vec![2, 7];
            s.mode = MaskRule::MostRecent;
            s.preset = None;
            s.alpha = 1.0;
        }
        4 => {
            Preset::FewShot.apply(s);
            s.mode = MaskRule::MostRecent;
        }
        _ => s.tour = 0,
    }
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
    use crate::sequence::prompt;

    #[test]
    fn each_step_sets_what_its_text_claims() {
        let at = |step| {
            let mut s = UrlState::default();
            apply(step, &mut s);
            s
        };
        let one = at(1);
        assert_eq!((one.scale, one.alpha, one.ff, one.tour), (0.0, 0.0, 0.0, 1));
        let two = at(2);
        let n = lab::stand_in::grid(two.size, two.patch).pow(2);
        assert_eq!((n, two.k), (900, 64), "900 patches, 64 latents");
        let three = at(3);
        let mask = prompt(&three).mask(three.mode);
        assert!(
            !mask.sees_media(0) && !mask.sees_media(1),
            "words before the first image"
        );
        assert!(mask.allowed(3, 0) && !mask.allowed(8, 0) && mask.allowed(8, 1));
        let four = at(4);
        assert_eq!(four.preset, Some(Preset::FewShot));
        assert_eq!(prompt(&four).media_positions().len(), 4);
    }

    #[test]
    fn a_link_to_a_step_sets_the_step_and_keeps_explicit_values() {
        let (s, notices) = UrlState::parse("tour=2");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!((s.tour, s.k, s.size), (2, 64, 480));
        let (s, _) = UrlState::parse("tour=1&alpha=2");
        assert_eq!((s.tour, s.alpha, s.ff), (1, 2.0, 0.0));
        let (s, notices) = UrlState::parse("tour=9");
        assert_eq!(s.tour, 4);
        assert_eq!(notices.len(), 1);
        assert_eq!(UrlState::parse(&at_query(3)).0.images, vec![2, 7]);
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
