//! The named choices a link can carry: the backend, a ready-made prompt, and the
//! overview's open stage.

/// Which backend computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// Measure both and take the faster for the current size.
    #[default]
    Auto,
    /// WebGPU, when the browser has it.
    WebGpu,
    /// burn's CPU backend.
    Cpu,
}

/// Ready-made interleaved sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// One image, then its caption.
    Single,
    /// Three (image, caption) examples and a query image.
    FewShot,
    /// No image at all: the gated blocks must leave the LM alone.
    TextOnly,
    /// A clip of several frames.
    Video,
}

impl Preset {
    /// Name in the URL and on the buttons.
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::FewShot => "few-shot",
            Self::TextOnly => "text-only",
            Self::Video => "video",
        }
    }

    /// All presets, in button order.
    pub const ALL: [Preset; 4] = [Self::Single, Self::FewShot, Self::TextOnly, Self::Video];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// A stage of the overview (`#overview`): its name in the URL and in `data-stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Picture,
    Encoder,
    Resampler,
    /// The n-th gated cross-attention block, from 0.
    Block(usize),
    /// The n-th frozen language-model layer, from 0.
    Lm(usize),
    NextWord,
}

impl Stage {
    pub fn name(self) -> String {
        match self {
            Self::Picture => "picture".into(),
            Self::Encoder => "encoder".into(),
            Self::Resampler => "resampler".into(),
            Self::Block(i) => format!("block-{i}"),
            Self::Lm(i) => format!("lm-{i}"),
            Self::NextWord => "next-word".into(),
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        let numbered = |prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n < 16)
        };
        match s {
            "picture" => Some(Self::Picture),
            "encoder" => Some(Self::Encoder),
            "resampler" => Some(Self::Resampler),
            "next-word" => Some(Self::NextWord),
            _ => numbered("block-")
                .map(Self::Block)
                .or_else(|| numbered("lm-").map(Self::Lm)),
        }
    }
}
