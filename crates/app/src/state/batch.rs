//! How prompts with different numbers of images share one batch, as OpenFlamingo
//! feeds them: `vision_x` is one `(B, T_img, F, C, H, W)` tensor, so every row gets
//! the batch's largest image count, the missing ones as blank (all-zero) images;
//! text is padded to the longest row with pad tokens.

use flamingo::{Interleaved, MaskRule, MediaMask, Segment};

/// Which end of a row the pad tokens go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadSide {
    /// Generation: every row's last real token ends at the same place.
    Left,
    /// Training: padding to a fixed length after the text.
    Right,
}

/// One token of a padded row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A real token of the prompt.
    Token(Segment),
    /// A pad token: the language model's attention mask hides it.
    Pad,
}

/// One row of the padded batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaddedRow {
    /// Tokens, pads included; every row has the same length.
    pub slots: Vec<Slot>,
    /// Real images in this row; the rest of the batch's image slots are blank.
    pub real_images: usize,
    /// Tokens × the batch's image slots.
    pub mask: MediaMask,
}

/// A batch of prompts padded to one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaddedBatch {
    /// Image slots per row (`T_img`).
    pub images: usize,
    /// Tokens per row.
    pub tokens: usize,
    /// The rows.
    pub rows: Vec<PaddedRow>,
}

/// Pads `prompts` into one batch.
pub fn pad(prompts: &[Interleaved], side: PadSide, rule: MaskRule) -> PaddedBatch {
    let images = prompts
        .iter()
        .map(|p| p.media_frames().len())
        .max()
        .unwrap_or(0);
    let tokens = prompts.iter().map(Interleaved::len).max().unwrap_or(0);
    let rows = prompts
        .iter()
        .map(|p| {
            let pads = std::iter::repeat_n(Slot::Pad, tokens - p.len());
            let real = p.segments.iter().cloned().map(Slot::Token);
            let slots: Vec<Slot> = match side {
                PadSide::Left => pads.chain(real).collect(),
                PadSide::Right => real.chain(pads).collect(),
            };
            let locations: Vec<bool> = slots
                .iter()
                .map(|s| matches!(s, Slot::Token(Segment::Media { .. })))
                .collect();
            PaddedRow {
                real_images: p.media_frames().len(),
                mask: MediaMask::new(&locations, images, rule),
                slots,
            }
        })
        .collect();
    PaddedBatch {
        images,
        tokens,
        rows,
    }
}

/// A prompt of `images` captioned images, for the batch demonstration.
pub fn captioned(images: usize) -> Interleaved {
    const CAPTIONS: [&str; 4] = ["a cat .", "a dog .", "a bird .", "a fish ."];
    let text: Vec<String> = CAPTIONS
        .iter()
        .cycle()
        .take(images)
        .map(|c| format!("<image> {c}"))
        .collect();
    Interleaved::parse(&text.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_one_shape_and_blank_images_are_never_seen() {
        let prompts = [captioned(1), captioned(3), captioned(0)];
        for rule in [MaskRule::MostRecent, MaskRule::AllPreceding] {
            for side in [PadSide::Left, PadSide::Right] {
                let b = pad(&prompts, side, rule);
                assert_eq!((b.images, b.tokens), (3, 12));
                for row in &b.rows {
                    assert_eq!(row.slots.len(), 12);
                    assert_eq!((row.mask.tokens(), row.mask.media()), (12, 3));
                    for (i, slot) in row.slots.iter().enumerate() {
                        for j in 0..3 {
                            // Left pads come before every image; right pads after the
                            // text still see its last image, and the LM's attention mask
                            // and the loss drop them instead.
                            if j >= row.real_images || (*slot == Slot::Pad && side == PadSide::Left)
                            {
                                assert!(!row.mask.allowed(i, j), "{side:?} {rule:?} ({i}, {j})");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn left_padding_puts_pads_first() {
        let b = pad(
            &[captioned(1), captioned(2)],
            PadSide::Left,
            MaskRule::MostRecent,
        );
        assert_eq!(
            b.rows[0].slots[..4],
            [Slot::Pad, Slot::Pad, Slot::Pad, Slot::Pad]
        );
        assert_eq!(
            b.rows[0].slots[4],
            Slot::Token(Segment::Media { frames: 1 })
        );
        assert!(b.rows[0].mask.allowed(5, 0) && !b.rows[0].mask.allowed(5, 1));
        let b = pad(
            &[captioned(1), captioned(2)],
            PadSide::Right,
            MaskRule::MostRecent,
        );
        assert_eq!(
            b.rows[0].slots[4..],
            [Slot::Pad, Slot::Pad, Slot::Pad, Slot::Pad]
        );
        assert!(
            pad(&[], PadSide::Left, MaskRule::MostRecent)
                .rows
                .is_empty()
        );
    }
}
