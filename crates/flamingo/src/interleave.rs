//! Interleaved image–text sequences and the mask that says which image each token sees.
//!
//! OpenFlamingo marks every image with an `<image>` token and keeps a boolean
//! `media_locations` row, `true` at those tokens. Walking the sequence, a counter
//! goes up by one at each marker (`text_time = cumsum(media_locations)`, inclusive,
//! so a marker sees its own image). Token `i` may then look at image `j` (1-based)
//! when `text_time[i] == j` (only the most recent image, Flamingo's choice) or
//! `text_time[i] >= j` (every preceding image). A token before any image sees none.
//!
//! This module is plain Rust so the page can draw the grid without a tensor; the
//! cross-attention builds its tensor mask from [`MediaMask`] too, so what is drawn
//! is what the model applies.

use std::fmt;

/// Which earlier images a text token may attend to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaskRule {
    /// Only the most recent preceding image (Flamingo, OpenFlamingo's default).
    #[default]
    MostRecent,
    /// Every preceding image.
    AllPreceding,
}

impl MaskRule {
    /// OpenFlamingo's `only_attend_immediate_media` flag as a rule.
    pub fn from_only_attend_immediate_media(immediate: bool) -> Self {
        if immediate {
            Self::MostRecent
        } else {
            Self::AllPreceding
        }
    }
}

/// `cumsum(media_locations)`: how many `<image>` markers stand at or before each token.
pub fn text_time(media_locations: &[bool]) -> Vec<usize> {
    media_locations
        .iter()
        .scan(0, |count, &is_media| {
            *count += usize::from(is_media);
            Some(*count)
        })
        .collect()
}

/// Tokens × images: may token `i` attend to the visual tokens of image `j`?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaMask {
    tokens: usize,
    media: usize,
    allowed: Vec<bool>,
}

impl MediaMask {
    /// The mask for one sequence with `num_media` images supplied.
    ///
    /// More markers than images leaves the surplus markers (and the text after them,
    /// under [`MaskRule::MostRecent`]) with nothing to see; fewer markers than images
    /// leaves the surplus images unseen.
    pub fn new(media_locations: &[bool], num_media: usize, rule: MaskRule) -> Self {
        let allowed = text_time(media_locations)
            .into_iter()
            .flat_map(|time| {
                (1..=num_media).map(move |image| match rule {
                    MaskRule::MostRecent => time == image,
                    MaskRule::AllPreceding => time >= image,
                })
            })
            .collect();
        Self {
            tokens: media_locations.len(),
            media: num_media,
            allowed,
        }
    }

    /// Number of tokens (rows).
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// Number of images (columns).
    pub fn media(&self) -> usize {
        self.media
    }

    /// May token `i` attend to image `j` (both 0-based)?
    pub fn allowed(&self, i: usize, j: usize) -> bool {
        assert!(
            i < self.tokens && j < self.media,
            "({i}, {j}) outside a {}×{} mask",
            self.tokens,
            self.media
        );
        self.allowed[i * self.media + j]
    }

    /// Does token `i` see any image at all? When not, it gets no visual input.
    pub fn sees_media(&self, i: usize) -> bool {
        (0..self.media).any(|j| self.allowed(i, j))
    }
}

/// One piece of an interleaved prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// One text token.
    Text(String),
    /// An image (`frames == 1`) or a video clip, written as one `<image>` marker;
    /// the resampler turns all its frames into one set of K tokens.
    Media {
        /// Frames in the clip; 1 for a still image.
        frames: usize,
    },
}

/// A prompt in reading order: text tokens with images between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interleaved {
    /// The tokens, markers included.
    pub segments: Vec<Segment>,
}

impl Interleaved {
    /// Whitespace-separated tokens; `<image>` is an image and `<video:F>` a clip of F frames.
    pub fn parse(text: &str) -> Self {
        let segments = text
            .split_whitespace()
            .map(|word| {
                if word == "<image>" {
                    return Segment::Media { frames: 1 };
                }
                match word
                    .strip_prefix("<video:")
                    .and_then(|w| w.strip_suffix('>'))
                    .map(str::parse)
                {
                    Some(Ok(frames)) if frames > 0 => Segment::Media { frames },
                    _ => Segment::Text(word.to_owned()),
                }
            })
            .collect();
        Self { segments }
    }

    /// The few-shot layout: `<image> caption <image> caption … <image> query`.
    pub fn few_shot(captions: &[&str], query: &str) -> Self {
        let shots: Vec<String> = captions.iter().map(|c| format!("<image> {c}")).collect();
        Self::parse(&format!("{} <image> {query}", shots.join(" ")))
    }

    /// Number of tokens, markers included.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Whether the prompt has no tokens.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// `true` at each `<image>` marker.
    pub fn media_locations(&self) -> Vec<bool> {
        self.segments
            .iter()
            .map(|s| matches!(s, Segment::Media { .. }))
            .collect()
    }

    /// Frames of each media item, in order.
    pub fn media_frames(&self) -> Vec<usize> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Media { frames } => Some(*frames),
                Segment::Text(_) => None,
            })
            .collect()
    }

    /// Token positions of the markers.
    pub fn media_positions(&self) -> Vec<usize> {
        self.media_locations()
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .map(|(i, _)| i)
            .collect()
    }

    /// The tokens × images mask for this prompt's own images.
    pub fn mask(&self, rule: MaskRule) -> MediaMask {
        MediaMask::new(&self.media_locations(), self.media_frames().len(), rule)
    }
}

/// As [`Interleaved::parse`] reads it: the word, `<image>`, or `<video:F>`.
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Text(word) => f.write_str(word),
            Segment::Media { frames: 1 } => f.write_str("<image>"),
            Segment::Media { frames } => write!(f, "<video:{frames}>"),
        }
    }
}

impl fmt::Display for Interleaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self.segments.iter().map(Segment::to_string).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule stated without counters: image j's marker stands at `positions[j]`;
    /// token i sees j if that marker is at or before i and, for the most-recent rule,
    /// no later marker is also at or before i.
    fn expected(
        media_locations: &[bool],
        num_media: usize,
        rule: MaskRule,
        i: usize,
        j: usize,
    ) -> bool {
        let positions: Vec<usize> = (0..media_locations.len())
            .filter(|&p| media_locations[p])
            .collect();
        let Some(&at) = positions.get(j) else {
            return false;
        };
        if j >= num_media || at > i {
            return false;
        }
        match rule {
            MaskRule::AllPreceding => true,
            MaskRule::MostRecent => positions.get(j + 1).is_none_or(|&next| next > i),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn mask_matches_the_rule_stated_by_positions(
            media_locations in prop::collection::vec(prop::bool::weighted(0.25), 0..40),
            extra in 0usize..3,
            fewer in 0usize..3,
            all in any::<bool>(),
        ) {
            let rule = if all { MaskRule::AllPreceding } else { MaskRule::MostRecent };
            let markers = media_locations.iter().filter(|m| **m).count();
            let num_media = (markers + extra).saturating_sub(fewer);
            let mask = MediaMask::new(&media_locations, num_media, rule);
            for i in 0..media_locations.len() {
                for j in 0..num_media {
                    prop_assert_eq!(mask.allowed(i, j), expected(&media_locations, num_media, rule, i, j), "token {} image {}", i, j);
                }
            }
        }

        #[test]
        fn text_before_any_image_sees_nothing(
            media_locations in prop::collection::vec(prop::bool::weighted(0.25), 1..40),
            all in any::<bool>(),
        ) {
            let rule = if all { MaskRule::AllPreceding } else { MaskRule::MostRecent };
            let first = media_locations.iter().position(|m| *m).unwrap_or(media_locations.len());
            let markers = media_locations.iter().filter(|m| **m).count();
            let mask = MediaMask::new(&media_locations, markers, rule);
            for i in 0..media_locations.len() {
                prop_assert_eq!(mask.sees_media(i), i >= first);
            }
        }

        #[test]
        fn display_and_parse_round_trip(frames in prop::collection::vec(0usize..4, 0..12)) {
            let segments = frames.iter().map(|&f| if f == 0 { Segment::Text("w".into()) } else { Segment::Media { frames: f } }).collect();
            let prompt = Interleaved { segments };
            prop_assert_eq!(Interleaved::parse(&prompt.to_string()), prompt);
        }
    }

    #[test]
    fn few_shot_prompt_layout() {
        let prompt = Interleaved::few_shot(&["A cat.", "A dog."], "A");
        assert_eq!(
            prompt.to_string(),
            "<image> A cat. <image> A dog. <image> A"
        );
        assert_eq!(prompt.media_positions(), vec![0, 3, 6]);
        let mask = prompt.mask(MaskRule::MostRecent);
        // "dog." (token 5) sees image 2 only; under the other rule, images 1 and 2.
        assert_eq!(
            (0..3).map(|j| mask.allowed(5, j)).collect::<Vec<_>>(),
            [false, true, false]
        );
        let all = prompt.mask(MaskRule::AllPreceding);
        assert_eq!(
            (0..3).map(|j| all.allowed(5, j)).collect::<Vec<_>>(),
            [true, true, false]
        );
    }

    #[test]
    fn video_is_one_marker_with_frames() {
        let prompt = Interleaved::parse("clip: <video:4> a dog runs");
        assert_eq!(prompt.media_frames(), vec![4]);
        assert_eq!(
            prompt.media_locations(),
            vec![false, true, false, false, false]
        );
        assert!(!prompt.mask(MaskRule::MostRecent).sees_media(0));
    }
}
