//! The few-shot prompt builder: "image → colour of the main object" examples laid out
//! as the interleaved sequence OpenFlamingo's evaluation feeds the model.

use flamingo::Interleaved;

/// Most examples the builder offers.
pub const MAX_SHOTS: usize = 8;

/// The examples' answers, one per image; the query's answer is left for the model.
pub const COLOURS: [&str; MAX_SHOTS] = [
    "red", "green", "blue", "yellow", "orange", "purple", "white", "black",
];

/// OpenFlamingo closes every example with this token, so the model learns where an answer ends.
pub const END_OF_CHUNK: &str = "<|endofchunk|>";

/// `shots` examples, then the query: `<image> colour: red <|endofchunk|> … <image> colour:`.
pub fn prompt(shots: usize) -> Interleaved {
    let examples: Vec<String> = COLOURS
        .iter()
        .take(shots.min(MAX_SHOTS))
        .map(|c| format!("colour: {c} {END_OF_CHUNK}"))
        .collect();
    let captions: Vec<&str> = examples.iter().map(String::as_str).collect();
    Interleaved::few_shot(&captions, "colour:")
}

/// What to expect as the number of examples grows, for the builder's note.
pub fn expectation(shots: usize) -> &'static str {
    match shots {
        0 => {
            "Zero-shot: nothing shows the task's format, so the model may describe the picture or answer in a sentence instead of one colour word. Exact-match accuracy is lowest here."
        }
        1..=2 => {
            "One or two examples teach the format (one word, then end of chunk): accuracy jumps mostly because answers now look like answers."
        }
        3..=4 => {
            "Around four examples the format is settled and the examples start to calibrate which colour words to use; gains continue but shrink."
        }
        _ => {
            "Beyond four, each example adds less: the curve flattens (Flamingo's own results rise from 0 to 4 to 32 shots with diminishing steps), and every example costs K visual tokens and more text to attend over."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flamingo::MaskRule;

    #[test]
    fn the_layout_is_examples_then_an_open_query() {
        assert_eq!(prompt(0).to_string(), "<image> colour:");
        assert_eq!(
            prompt(2).to_string(),
            "<image> colour: red <|endofchunk|> <image> colour: green <|endofchunk|> <image> colour:"
        );
        for shots in 0..=MAX_SHOTS {
            let p = prompt(shots);
            assert_eq!(p.media_positions().len(), shots + 1);
            assert_eq!(p.len(), 4 * shots + 2);
        }
        assert_eq!(prompt(99).media_positions().len(), MAX_SHOTS + 1);
    }

    #[test]
    fn each_answer_sees_only_its_own_image() {
        let p = prompt(3);
        let mask = p.mask(MaskRule::MostRecent);
        // Token 2 is the first answer ("red"), token 6 the second.
        assert!(mask.allowed(2, 0) && !mask.allowed(2, 1));
        assert!(mask.allowed(6, 1) && !mask.allowed(6, 0));
        let all = p.mask(MaskRule::AllPreceding);
        assert!(all.allowed(6, 0) && all.allowed(6, 1));
    }
}
