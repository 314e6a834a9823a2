//! Every control of the page as one value that round-trips through the URL query.
//!
//! Parsing never fails: an out-of-range number is clamped, a malformed one is
//! ignored, and each such repair comes back as a notice the page shows.

use flamingo::MaskRule;
use mini::vocab::Task;

pub use super::choices::{BackendChoice, Preset, Stage};

/// How many steps the guided tour has (`tour::STEPS` is that long).
pub const TOUR_STEPS: usize = 6;

pub use lab::bounds;

/// The page's whole state.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlState {
    /// Raw attention gate; the block multiplies by tanh(alpha).
    pub alpha: f32,
    /// Raw feed-forward gate.
    pub ff: f32,
    /// Resampler latents.
    pub k: usize,
    /// Resampler depth.
    pub depth: usize,
    /// Patch size in pixels.
    pub patch: usize,
    /// Side of the picture in pixels, one of `bounds::SIZES`.
    pub size: usize,
    /// Width of features, latents and the toy language model, one of `bounds::WIDTHS`.
    pub width: usize,
    /// Tokens in the interleaved sequence, markers included.
    pub len: usize,
    /// Token positions of the `<image>` markers, sorted, distinct, below `len`.
    pub images: Vec<usize>,
    /// Which images a token sees.
    pub mode: MaskRule,
    /// Backend preference.
    pub backend: BackendChoice,
    /// The preset last applied, if the sequence still is one.
    pub preset: Option<Preset>,
    /// Step of the guided tour, 1-based; 0 when the tour is closed.
    pub tour: usize,
    /// Large type and high contrast, for a projector.
    pub projector: bool,
    /// The trained model's sample scene, by its seed.
    pub scene: u64,
    /// The trained model's gate scale: every learned α is multiplied by it before its tanh.
    pub scale: f32,
    /// The live few-shot episode: its task, shots and seed.
    pub task: Task,
    pub shots: usize,
    pub episode: u64,
    /// The drawing pad's strokes ([`lab::drawing::Drawing::to_code`]) while the model looks
    /// at the drawing and it is small enough for a link.
    pub draw: Option<String>,
    /// The overview stage whose detail is open.
    pub open: Option<Stage>,
}

impl Default for UrlState {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            ff: 0.0,
            k: 8,
            depth: 2,
            patch: 16,
            size: 224,
            width: 64,
            len: 12,
            images: vec![0, 6],
            mode: MaskRule::MostRecent,
            backend: BackendChoice::Auto,
            preset: None,
            tour: 0,
            projector: false,
            scene: 1,
            scale: 1.0,
            task: Task::Colour,
            shots: 4,
            episode: 1,
            draw: None,
            open: None,
        }
    }
}

fn clamp_notice<T: PartialOrd + Copy + std::fmt::Display>(
    key: &str,
    v: T,
    (lo, hi): (T, T),
    notices: &mut Vec<String>,
) -> T {
    if v < lo || v > hi {
        let c = if v < lo { lo } else { hi };
        notices.push(format!("{key}={v} is outside {lo}…{hi}; using {c}"));
        c
    } else {
        v
    }
}

/// `v` if it is one of `allowed`, else the nearest with a notice.
fn nearest(key: &str, v: usize, allowed: &[usize], notices: &mut Vec<String>) -> usize {
    if allowed.contains(&v) {
        return v;
    }
    let near = *allowed
        .iter()
        .min_by_key(|c| c.abs_diff(v))
        .expect("a non-empty set");
    let list: Vec<String> = allowed.iter().map(usize::to_string).collect();
    notices.push(format!(
        "{key}={v} is not one of {}; using {near}",
        list.join(", ")
    ));
    near
}

impl UrlState {
    /// Reads a query string (with or without the leading `?`) onto the defaults. A
    /// page's link is read by `tour::read_link`, which first sets a tour step's controls.
    pub fn parse(query: &str) -> (Self, Vec<String>) {
        Self::parse_onto(Self::default(), query)
    }

    /// Reads a query string onto `s`: keys given override what `s` holds.
    pub fn parse_onto(mut s: Self, query: &str) -> (Self, Vec<String>) {
        let mut notices = Vec::new();
        let ignored = |key: &str, value: &str, notices: &mut Vec<String>| {
            notices.push(format!("ignored {key}={value:?}: not a valid value"));
        };
        let mut images_given = None;
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            let value = value.as_str();
            match key {
                "alpha" | "ff" => match value.parse::<f32>() {
                    Ok(v) if v.is_finite() => {
                        let v = clamp_notice(key, v, bounds::GATE, &mut notices);
                        if key == "alpha" {
                            s.alpha = v
                        } else {
                            s.ff = v
                        }
                    }
                    _ => ignored(key, value, &mut notices),
                },
                "k" | "depth" | "patch" | "len" => match value.parse::<usize>() {
                    Ok(v) => match key {
                        "k" => s.k = clamp_notice(key, v, bounds::K, &mut notices),
                        "depth" => s.depth = clamp_notice(key, v, bounds::DEPTH, &mut notices),
                        "patch" => s.patch = clamp_notice(key, v, bounds::PATCH, &mut notices),
                        _ => s.len = clamp_notice(key, v, bounds::LEN, &mut notices),
                    },
                    Err(_) => ignored(key, value, &mut notices),
                },
                "size" | "width" => match value.parse::<usize>() {
                    Ok(v) if key == "size" => {
                        s.size = nearest(key, v, &bounds::SIZES, &mut notices)
                    }
                    Ok(v) => s.width = nearest(key, v, &bounds::WIDTHS, &mut notices),
                    Err(_) => ignored(key, value, &mut notices),
                },
                "images" => images_given = Some(value.to_owned()),
                "mode" => match value {
                    "recent" => s.mode = MaskRule::MostRecent,
                    "all" => s.mode = MaskRule::AllPreceding,
                    _ => ignored(key, value, &mut notices),
                },
                "backend" => match value {
                    "auto" => s.backend = BackendChoice::Auto,
                    "webgpu" => s.backend = BackendChoice::WebGpu,
                    "cpu" => s.backend = BackendChoice::Cpu,
                    _ => ignored(key, value, &mut notices),
                },
                "scale" => match value.parse::<f32>() {
                    Ok(v) if v.is_finite() => {
                        s.scale = clamp_notice(key, v, bounds::SCALE, &mut notices)
                    }
                    _ => ignored(key, value, &mut notices),
                },
                "shots" => match value.parse::<usize>() {
                    Ok(v) => s.shots = clamp_notice(key, v, bounds::SHOTS, &mut notices),
                    Err(_) => ignored(key, value, &mut notices),
                },
                "scene" | "episode" => match value.parse::<u64>() {
                    Ok(v) if key == "scene" => s.scene = v,
                    Ok(v) => s.episode = v,
                    Err(_) => ignored(key, value, &mut notices),
                },
                "task" => match Task::ALL.into_iter().find(|t| t.word() == value) {
                    Some(t) => s.task = t,
                    None => ignored(key, value, &mut notices),
                },
                "draw" => match lab::drawing::Drawing::from_code(value) {
                    Ok(d) if !d.is_empty() => s.draw = Some(value.to_owned()),
                    Ok(_) => s.draw = None,
                    Err(e) => notices.push(e),
                },
                "open" => match Stage::parse(value) {
                    Some(stage) => s.open = Some(stage),
                    None => ignored(key, value, &mut notices),
                },
                "tour" => match value.parse::<usize>() {
                    Ok(v) => s.tour = clamp_notice(key, v, (0, TOUR_STEPS), &mut notices),
                    Err(_) => ignored(key, value, &mut notices),
                },
                "view" => match value {
                    "projector" => s.projector = true,
                    "normal" => s.projector = false,
                    _ => ignored(key, value, &mut notices),
                },
                "preset" => match Preset::parse(value) {
                    Some(p) => s.preset = Some(p),
                    None if value == "none" => s.preset = None,
                    None => ignored(key, value, &mut notices),
                },
                _ => notices.push(format!("ignored unknown parameter {key:?}")),
            }
        }
        // Positions depend on len, so they are checked once len is known.
        if let Some(list) = images_given {
            s.images = Self::parse_images(&list, s.len, &mut notices);
        } else {
            s.images.retain(|&p| p < s.len);
        }
        (s, notices)
    }

    fn parse_images(list: &str, len: usize, notices: &mut Vec<String>) -> Vec<usize> {
        let mut images = Vec::new();
        for item in list.split(',').filter(|i| !i.is_empty()) {
            match item.trim().parse::<usize>() {
                Ok(p) if p < len => images.push(p),
                Ok(p) => notices.push(format!(
                    "ignored image at {p}: the sequence has {len} tokens"
                )),
                Err(_) => notices.push(format!("ignored image position {item:?}: not a number")),
            }
        }
        images.sort_unstable();
        images.dedup();
        if images.len() > bounds::MAX_IMAGES {
            notices.push(format!("kept the first {} images", bounds::MAX_IMAGES));
            images.truncate(bounds::MAX_IMAGES);
        }
        images
    }

    /// The query string, without `?`, every control included.
    pub fn to_query(&self) -> String {
        let images: Vec<String> = self.images.iter().map(usize::to_string).collect();
        let mut q = format!(
            "alpha={}&ff={}&k={}&depth={}&patch={}&size={}&width={}&len={}&images={}&mode={}&backend={}",
            self.alpha,
            self.ff,
            self.k,
            self.depth,
            self.patch,
            self.size,
            self.width,
            self.len,
            images.join(","),
            match self.mode {
                MaskRule::MostRecent => "recent",
                MaskRule::AllPreceding => "all",
            },
            match self.backend {
                BackendChoice::Auto => "auto",
                BackendChoice::WebGpu => "webgpu",
                BackendChoice::Cpu => "cpu",
            },
        );
        q.push_str(&format!(
            "&scene={}&scale={}&task={}&shots={}&episode={}",
            self.scene,
            self.scale,
            self.task.word(),
            self.shots,
            self.episode
        ));
        // Under a tour step "none" must be written: the step may set a preset.
        match self.preset {
            Some(p) => q.push_str(&format!("&preset={}", p.name())),
            None if self.tour > 0 => q.push_str("&preset=none"),
            None => {}
        }
        if self.tour > 0 {
            q.push_str(&format!("&tour={}", self.tour));
        }
        if self.projector {
            q.push_str("&view=projector");
        }
        if let Some(stage) = self.open {
            q.push_str(&format!("&open={}", stage.name()));
        }
        if let Some(code) = &self.draw {
            q.push_str(&format!("&draw={code}"));
        }
        q
    }
}

/// `%2C` → `,` and friends; malformed escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let state = UrlState {
            alpha: -2.5,
            ff: 0.75,
            k: 64,
            depth: 6,
            patch: 32,
            size: 480,
            width: 256,
            len: 20,
            images: vec![0, 5, 11],
            mode: MaskRule::AllPreceding,
            backend: BackendChoice::Cpu,
            preset: Some(Preset::FewShot),
            tour: 2,
            projector: true,
            scene: 12345678901,
            scale: 0.35,
            task: Task::Shape,
            shots: 0,
            episode: 7,
            draw: Some({
                let mut d = lab::drawing::Drawing::default();
                d.begin(lab::drawing::Ink::Eraser, 9.0, (3.0, 125.0));
                d.extend((64.0, 0.0));
                d.to_code().unwrap()
            }),
            open: Some(Stage::Block(1)),
        };
        let (parsed, notices) = UrlState::parse(&format!("?{}", state.to_query()));
        assert_eq!(parsed, state);
        assert!(notices.is_empty(), "{notices:?}");
    }

    #[test]
    fn out_of_range_values_are_clamped_with_a_notice() {
        let (s, notices) = UrlState::parse(
            "alpha=9&k=0&depth=99&patch=2&len=1000&size=500&width=300&scale=-1&shots=20",
        );
        assert_eq!(
            (s.alpha, s.k, s.depth, s.patch, s.len, s.size, s.width),
            (4.0, 1, 6, 8, 48, 480, 256)
        );
        assert_eq!((s.scale, s.shots), (0.0, 8));
        assert_eq!(notices.len(), 9, "{notices:?}");
        assert!(notices[0].contains("alpha=9"));
    }

    #[test]
    fn malformed_values_are_ignored_with_a_notice() {
        let (s, notices) = UrlState::parse(
            "alpha=NaN&ff=abc&k=-3&mode=sideways&backend=tpu&preset=nope&zzz=1&images=1,x,99&size=big&tour=x&view=tiny&scale=inf&scene=-1&task=size&episode=x&draw=!!&open=block-x",
        );
        let d = UrlState::default();
        assert_eq!(
            (s.alpha, s.ff, s.k, s.mode, s.backend, s.preset, s.size),
            (d.alpha, d.ff, d.k, d.mode, d.backend, None, d.size)
        );
        assert_eq!(s.images, vec![1]);
        assert_eq!((s.tour, s.projector), (0, false));
        assert_eq!(
            (s.scale, s.scene, s.task, s.episode),
            (d.scale, d.scene, d.task, d.episode)
        );
        assert_eq!((s.draw, s.open), (None, None));
        assert_eq!(notices.len(), 18, "{notices:?}");
        assert!(
            notices
                .iter()
                .any(|n| n.contains("drawing in this link is damaged"))
        );
    }

    #[test]
    fn every_stage_reads_back_by_its_name() {
        let stages = [
            Stage::Picture,
            Stage::Encoder,
            Stage::Resampler,
            Stage::Block(0),
            Stage::Lm(3),
            Stage::NextWord,
        ];
        for stage in stages {
            assert_eq!(Stage::parse(&stage.name()), Some(stage));
        }
        for bad in ["block-", "lm-99", "block--1", "Picture", ""] {
            assert_eq!(Stage::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_width_splits_into_whole_heads() {
        for w in bounds::WIDTHS {
            let (heads, dim_head) = bounds::heads(w);
            assert!(heads * dim_head <= w && heads >= 1 && dim_head >= 1, "{w}");
        }
        assert_eq!(bounds::heads(1024), (8, 64), "OpenFlamingo's 8 × 64");
    }

    #[test]
    fn images_are_sorted_deduplicated_and_bounded() {
        let (s, _) = UrlState::parse("len=30&images=9%2C3,3,0,1,2,4,5,6,7,8");
        assert_eq!(s.images, vec![0, 1, 2, 3, 4, 5, 6, 7]);
        let (s, notices) = UrlState::parse("images=0,5&len=4");
        assert_eq!(
            s.images,
            vec![0],
            "positions are checked against len, wherever it stands"
        );
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn empty_and_garbage_queries_give_the_default() {
        assert_eq!(UrlState::parse("").0, UrlState::default());
        assert_eq!(UrlState::parse("?&&=&%%%").0, UrlState::default());
    }
}

/// Random query strings, as a student's mangled link or a bot could send them.
#[cfg(test)]
mod fuzz;
