//! PyTorch `state_dict`s stored as safetensors.
//!
//! Linear weights arrive in PyTorch's `[out, in]` layout and are transposed into
//! burn's `[in, out]` here, once, so every module's `load` reads like a key table.

use std::collections::HashMap;

use burn::module::Param;
use burn::nn::{LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

/// Why a file could not be loaded. Each message names the tensor or key at fault.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a safetensors file.
    #[error("not a safetensors file: {0}")]
    Format(String),
    /// A tensor the module needs is absent.
    #[error("missing tensor `{0}`")]
    Missing(String),
    /// A tensor has the wrong shape.
    #[error("tensor `{name}` has shape {found:?}, expected {expected:?}")]
    Shape {
        /// Tensor name.
        name: String,
        /// The shape the configuration implies.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("tensor `{name}` is {found}, expected {expected}")]
    Dtype {
        /// Tensor name.
        name: String,
        /// The dtype required.
        expected: &'static str,
        /// The dtype in the file.
        found: String,
    },
    /// A `__metadata__` entry is absent or malformed.
    #[error("metadata: {0}")]
    Metadata(String),
    /// Inputs that do not fit the module (e.g. more frames than `frame_embs` holds).
    #[error("input: {0}")]
    Input(String),
}

/// The tensors and `__metadata__` of one safetensors file.
pub struct StateDict<'a> {
    tensors: SafeTensors<'a>,
    metadata: HashMap<String, String>,
}

impl<'a> StateDict<'a> {
    /// Reads the header; tensor data stays borrowed from `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LoadError> {
        let format = |e: safetensors::SafeTensorError| LoadError::Format(e.to_string());
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(format)?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let tensors = SafeTensors::deserialize(bytes).map_err(format)?;
        Ok(Self { tensors, metadata })
    }

    /// Every tensor's name.
    pub fn names(&self) -> Vec<&str> {
        self.tensors.names()
    }

    /// The file's `__metadata__` strings.
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    fn view(
        &self,
        name: &str,
        dtype: Dtype,
        expected: &'static str,
    ) -> Result<safetensors::tensor::TensorView<'a>, LoadError> {
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| LoadError::Missing(name.to_owned()))?;
        if view.dtype() != dtype {
            return Err(LoadError::Dtype {
                name: name.to_owned(),
                expected,
                found: format!("{:?}", view.dtype()),
            });
        }
        Ok(view)
    }

    /// The shape of tensor `name`, if present.
    pub fn shape(&self, name: &str) -> Result<Vec<usize>, LoadError> {
        Ok(self
            .tensors
            .tensor(name)
            .map_err(|_| LoadError::Missing(name.to_owned()))?
            .shape()
            .to_vec())
    }

    /// An F32 tensor of any shape: (shape, row-major values).
    pub fn f32s(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), LoadError> {
        let view = self.view(name, Dtype::F32, "F32")?;
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok((view.shape().to_vec(), values))
    }

    /// An F32 tensor of exactly `shape`.
    pub fn tensor<const D: usize>(
        &self,
        name: &str,
        shape: [usize; D],
        device: &Device,
    ) -> Result<Tensor<D>, LoadError> {
        let (found, values) = self.f32s(name)?;
        if found != shape {
            return Err(LoadError::Shape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                found,
            });
        }
        Ok(Tensor::from_data(TensorData::new(values, shape), device))
    }

    /// A BOOL tensor of exactly `shape`, row-major.
    pub fn bools(&self, name: &str, shape: &[usize]) -> Result<Vec<bool>, LoadError> {
        let view = self.view(name, Dtype::BOOL, "BOOL")?;
        if view.shape() != shape {
            return Err(LoadError::Shape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        Ok(view.data().iter().map(|&b| b != 0).collect())
    }

    /// `nn.Linear(d_in, d_out, bias=False)` stored as `{prefix}.weight`, `[d_out, d_in]`.
    pub fn linear(
        &self,
        prefix: &str,
        d_in: usize,
        d_out: usize,
        device: &Device,
    ) -> Result<Linear, LoadError> {
        let weight = self.tensor(&format!("{prefix}.weight"), [d_out, d_in], device)?;
        Ok(Linear {
            weight: Param::from_tensor(weight.transpose()),
            bias: None,
        })
    }

    /// `nn.LayerNorm(d)` (eps 1e-5) stored as `{prefix}.weight` and `{prefix}.bias`.
    pub fn layer_norm(
        &self,
        prefix: &str,
        d: usize,
        device: &Device,
    ) -> Result<LayerNorm, LoadError> {
        let mut norm = LayerNormConfig::new(d).init(device);
        norm.gamma = Param::from_tensor(self.tensor(&format!("{prefix}.weight"), [d], device)?);
        norm.beta = Some(Param::from_tensor(self.tensor(
            &format!("{prefix}.bias"),
            [d],
            device,
        )?));
        Ok(norm)
    }
}

/// One F32 tensor as safetensors bytes, with no metadata.
pub fn write_f32(name: &str, shape: &[usize], values: &[f32]) -> Vec<u8> {
    write_f32s(&[(name.to_owned(), shape.to_vec(), values.to_vec())], None)
}

/// F32 tensors `(name, shape, row-major values)` as safetensors bytes, with `__metadata__`.
///
/// # Panics
/// If a tensor's values do not fill its shape, or two share a name.
pub fn write_f32s(
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    metadata: Option<HashMap<String, String>>,
) -> Vec<u8> {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, values)| values.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let views = tensors.iter().zip(&bytes).map(|((name, shape, _), bytes)| {
        let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
            .expect("shape matches values");
        (name.as_str(), view)
    });
    safetensors::serialize(views, metadata).expect("distinct names serialise")
}
