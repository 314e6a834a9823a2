//! The interleaved prompt the page shows, derived from the URL state: `<image>`
//! markers at the chosen positions, words filling the rest in order.

use flamingo::{Interleaved, Segment};

use crate::state::url_state::{Preset, UrlState, bounds};

/// Frames of the clip in the video preset.
pub const VIDEO_FRAMES: usize = 4;

const FILLER: &[&str] = &[
    "a", "photo", "of", "a", "red", "sunset", "over", "the", "sea", ".",
];
const FEW_SHOT: &[&str] = &[
    "a", "sunset", ".", "a", "house", ".", "a", "flower", ".", "a",
];

impl Preset {
    /// The state this preset sets: sequence length and marker positions.
    pub fn apply(self, state: &mut UrlState) {
        let (len, images) = match self {
            Self::Single => (10, vec![0]),
            Self::FewShot => (14, vec![0, 4, 8, 12]),
            Self::TextOnly => (8, vec![]),
            Self::Video => (8, vec![1]),
        };
        state.len = len;
        state.images = images;
        state.preset = Some(self);
    }
}

/// The prompt for a state.
pub fn prompt(state: &UrlState) -> Interleaved {
    let words = if state.preset == Some(Preset::FewShot) {
        FEW_SHOT
    } else {
        FILLER
    };
    let frames = if state.preset == Some(Preset::Video) {
        VIDEO_FRAMES
    } else {
        1
    };
    let mut next_word = words.iter().cycle();
    let segments = (0..state.len)
        .map(|i| {
            if state.images.contains(&i) {
                Segment::Media { frames }
            } else {
                Segment::Text(next_word.next().expect("cycle never ends").to_string())
            }
        })
        .collect();
    Interleaved { segments }
}

/// Moves image `j` to token `to`, if that token is free; the order of images follows their positions.
pub fn move_image(s: &mut UrlState, j: usize, to: usize) {
    if j < s.images.len() && to < s.len && !s.images.contains(&to) {
        s.images[j] = to;
        s.images.sort_unstable();
        s.preset = None;
    }
}

/// Adds an image at the last free token, up to the limit.
pub fn add_image(s: &mut UrlState) {
    if s.images.len() < bounds::MAX_IMAGES
        && let Some(free) = (0..s.len).rev().find(|p| !s.images.contains(p))
    {
        s.images.push(free);
        s.images.sort_unstable();
        s.preset = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_shot_preset_reads_as_three_examples_and_a_query() {
        let mut s = UrlState::default();
        Preset::FewShot.apply(&mut s);
        assert_eq!(
            prompt(&s).to_string(),
            "<image> a sunset . <image> a house . <image> a flower . <image> a"
        );
    }

    #[test]
    fn markers_stand_where_the_state_says() {
        let s = UrlState {
            len: 5,
            images: vec![1, 3],
            preset: None,
            ..UrlState::default()
        };
        let p = prompt(&s);
        assert_eq!(p.media_positions(), vec![1, 3]);
        assert_eq!(p.to_string(), "a <image> photo <image> of");
    }

    #[test]
    fn video_preset_is_one_clip() {
        let mut s = UrlState::default();
        Preset::Video.apply(&mut s);
        assert_eq!(prompt(&s).media_frames(), vec![VIDEO_FRAMES]);
    }

    #[test]
    fn moving_and_adding_images_keep_positions_distinct_and_sorted() {
        let mut s = UrlState {
            len: 6,
            images: vec![1, 4],
            ..UrlState::default()
        };
        move_image(&mut s, 1, 1);
        assert_eq!(s.images, vec![1, 4], "occupied token: no move");
        move_image(&mut s, 1, 0);
        assert_eq!(s.images, vec![0, 1]);
        move_image(&mut s, 0, 6);
        assert_eq!(s.images, vec![0, 1], "past the end: no move");
        add_image(&mut s);
        assert_eq!(s.images, vec![0, 1, 5]);
        let mut full = UrlState {
            len: 2,
            images: vec![0, 1],
            ..UrlState::default()
        };
        add_image(&mut full);
        assert_eq!(full.images, vec![0, 1]);
    }
}
