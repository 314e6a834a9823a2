//! The file format of `flamingo forward IN OUT`, shared by the CLI and the golden tests.
//!
//! IN is a safetensors file holding a module's PyTorch `state_dict` under its own
//! names, its inputs under `input.*`, and a `__metadata__` whose values are
//! JSON-encoded strings, except `module`, a plain name:
//!
//! | `module` | metadata keys | inputs |
//! |---|---|---|
//! | `perceiver_resampler` | `dim`, `depth`, `dim_head`, `heads`, `num_latents`, `ff_mult`, `max_num_media`, `max_num_frames` | `input.x` `(b, T, F, v, dim)` |
//! | `gated_cross_attention_block` | `dim`, `dim_visual`, `dim_head`, `heads`, `ff_mult`, `only_attend_immediate_media` | `input.x` `(b, T_txt, dim)`, `input.media` `(b, T_img, n, dim_visual)`, `input.media_locations` `(b, T_txt)` BOOL |
//!
//! OUT holds one F32 tensor, `out`.

use burn::tensor::{Device, Tensor, TensorData};
use serde::de::DeserializeOwned;

use crate::cross_attention::{GatedCrossAttentionBlock, GatedCrossAttentionBlockConfig};
use crate::perceiver::{PerceiverResampler, PerceiverResamplerConfig};
use crate::state_dict::{LoadError, StateDict};

/// A module with its inputs, ready to run.
// One is built per file and moved once; boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ForwardCase {
    /// `perceiver_resampler`
    Resampler {
        /// The module.
        module: PerceiverResampler,
        /// `(b, T, F, v, dim)`
        x: Tensor<5>,
    },
    /// `gated_cross_attention_block`
    Block {
        /// The module.
        module: GatedCrossAttentionBlock,
        /// `(b, T_txt, dim)`
        x: Tensor<3>,
        /// `(b, T_img, n, dim_visual)`
        media: Tensor<4>,
        /// `b` rows of `T_txt` flags.
        media_locations: Vec<Vec<bool>>,
    },
}

fn meta<T: DeserializeOwned>(sd: &StateDict, key: &str) -> Result<T, LoadError> {
    let raw = sd
        .metadata()
        .get(key)
        .ok_or_else(|| LoadError::Metadata(format!("key `{key}` is missing")))?;
    serde_json::from_str(raw)
        .map_err(|e| LoadError::Metadata(format!("key `{key}` = {raw:?} is not valid here: {e}")))
}

fn input_shape<const D: usize>(sd: &StateDict, name: &str) -> Result<[usize; D], LoadError> {
    let shape = sd.shape(name)?;
    shape
        .clone()
        .try_into()
        .map_err(|_| LoadError::Input(format!("`{name}` has shape {shape:?}, expected {D} axes")))
}

fn check_axis(
    name: &str,
    shape: &[usize],
    axis: usize,
    expected: usize,
    what: &str,
) -> Result<(), LoadError> {
    if shape[axis] == expected {
        Ok(())
    } else {
        Err(LoadError::Input(format!(
            "`{name}` has shape {shape:?}: axis {axis} must be {what} = {expected}"
        )))
    }
}

impl ForwardCase {
    /// Parses IN and builds the module on `device`.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Self, LoadError> {
        let sd = StateDict::parse(bytes)?;
        let module = sd
            .metadata()
            .get("module")
            .ok_or_else(|| LoadError::Metadata("key `module` is missing".into()))?;
        match module.as_str() {
            "perceiver_resampler" => Self::resampler(&sd, device),
            "gated_cross_attention_block" => Self::block(&sd, device),
            other => Err(LoadError::Metadata(format!(
                "unknown module `{other}`, expected `perceiver_resampler` or `gated_cross_attention_block`"
            ))),
        }
    }

    fn resampler(sd: &StateDict, device: &Device) -> Result<Self, LoadError> {
        let config = PerceiverResamplerConfig::new(meta(sd, "dim")?)
            .with_depth(meta(sd, "depth")?)
            .with_dim_head(meta(sd, "dim_head")?)
            .with_heads(meta(sd, "heads")?)
            .with_num_latents(meta(sd, "num_latents")?)
            .with_ff_mult(meta(sd, "ff_mult")?)
            .with_max_num_media(meta(sd, "max_num_media")?)
            .with_max_num_frames(meta(sd, "max_num_frames")?);
        let module = config.load(sd, device)?;
        let shape: [usize; 5] = input_shape(sd, "input.x")?;
        check_axis("input.x", &shape, 4, config.dim, "dim")?;
        if let Some(max) = config.max_num_frames
            && shape[2] > max
        {
            return Err(LoadError::Input(format!(
                "`input.x` has {} frames but max_num_frames = {max}",
                shape[2]
            )));
        }
        if let Some(max) = config.max_num_media
            && shape[1] > max
        {
            return Err(LoadError::Input(format!(
                "`input.x` has {} media but max_num_media = {max}",
                shape[1]
            )));
        }
        let x = sd.tensor("input.x", shape, device)?;
        Ok(Self::Resampler { module, x })
    }

    fn block(sd: &StateDict, device: &Device) -> Result<Self, LoadError> {
        let config = GatedCrossAttentionBlockConfig::new(meta(sd, "dim")?, meta(sd, "dim_visual")?)
            .with_dim_head(meta(sd, "dim_head")?)
            .with_heads(meta(sd, "heads")?)
            .with_ff_mult(meta(sd, "ff_mult")?)
            .with_only_attend_immediate_media(meta(sd, "only_attend_immediate_media")?);
        let module = config.load(sd, device)?;
        let x_shape: [usize; 3] = input_shape(sd, "input.x")?;
        check_axis("input.x", &x_shape, 2, config.dim, "dim")?;
        let media_shape: [usize; 4] = input_shape(sd, "input.media")?;
        check_axis(
            "input.media",
            &media_shape,
            0,
            x_shape[0],
            "the batch of input.x",
        )?;
        check_axis(
            "input.media",
            &media_shape,
            3,
            config.dim_visual,
            "dim_visual",
        )?;
        let [b, t_txt, _] = x_shape;
        let flags = sd.bools("input.media_locations", &[b, t_txt])?;
        Ok(Self::Block {
            module,
            x: sd.tensor("input.x", x_shape, device)?,
            media: sd.tensor("input.media", media_shape, device)?,
            media_locations: (0..b)
                .map(|i| flags[i * t_txt..(i + 1) * t_txt].to_vec())
                .collect(),
        })
    }

    /// Runs the module; the result is OUT's `out`.
    pub fn forward(&self) -> TensorData {
        match self {
            Self::Resampler { module, x } => module.forward(x.clone()).into_data(),
            Self::Block {
                module,
                x,
                media,
                media_locations,
            } => module
                .forward(x.clone(), media.clone(), media_locations)
                .output
                .into_data(),
        }
    }
}
