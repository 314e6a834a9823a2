//! The trained model as one safetensors file: every parameter under its module path
//! (`bridge.blocks.0.attn_gate`, `lm.layers.2.ff.fc1.weight`, …, burn's `[in, out]`
//! layout for linear weights), and the configuration as JSON in `__metadata__`.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use flamingo::state_dict::{LoadError, StateDict, write_f32s};

use crate::model::{MiniFlamingo, MiniFlamingoConfig};

const CONFIG_KEY: &str = "config";

/// Module paths, as burn's visitors name them, joined with dots.
#[derive(Default)]
struct Path(Vec<String>);

impl Path {
    fn enter(&mut self, name: &str) {
        self.0.push(name.to_owned());
    }

    fn exit(&mut self) {
        self.0.pop();
    }

    fn key(&self) -> String {
        self.0.join(".")
    }
}

struct Collect {
    path: Path,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.enter(name);
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.exit();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let data = param.val().into_data();
        let values = data.try_to_vec::<f32>().expect("f32 parameters");
        self.tensors
            .push((self.path.key(), data.shape().to_vec(), values));
    }
}

struct Assign<'a> {
    path: Path,
    weights: &'a StateDict<'a>,
    device: Device,
    used: usize,
    error: Option<LoadError>,
}

impl ModuleMapper for Assign<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.enter(name);
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.exit();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape: [usize; D] = param.lazy_shape().dims();
        match self.weights.tensor(&self.path.key(), shape, &self.device) {
            Ok(value) => {
                self.used += 1;
                Param::initialized(param.id, value)
            }
            Err(e) => {
                self.error.get_or_insert(e);
                param
            }
        }
    }
}

/// The model's weights and configuration as safetensors bytes.
pub fn save(model: &MiniFlamingo, config: &MiniFlamingoConfig) -> Vec<u8> {
    let mut collect = Collect {
        path: Path::default(),
        tensors: Vec::new(),
    };
    model.visit(&mut collect);
    let metadata = HashMap::from([(CONFIG_KEY.to_owned(), config.to_string())]);
    write_f32s(&collect.tensors, Some(metadata))
}

/// A model from [`save`]'s bytes: its configuration, then every parameter by name.
/// Every value comes from the bytes, so this is the same on every device; the few
/// values that building the model draws at once are replaced, and drawn in turn
/// with seeded builds on other threads so as not to disturb them.
pub fn load(
    bytes: &[u8],
    device: &Device,
) -> Result<(MiniFlamingo, MiniFlamingoConfig), LoadError> {
    let weights = StateDict::parse(bytes)?;
    let json = weights
        .metadata()
        .get(CONFIG_KEY)
        .ok_or_else(|| LoadError::Metadata(format!("no `{CONFIG_KEY}` entry")))?;
    let config: MiniFlamingoConfig = serde_json::from_str(json)
        .map_err(|e| LoadError::Metadata(format!("`{CONFIG_KEY}`: {e}")))?;
    let mut assign = Assign {
        path: Path::default(),
        weights: &weights,
        device: device.clone(),
        used: 0,
        error: None,
    };
    let model = flamingo::taking_turns(|| config.init(device)).map(&mut assign);
    if let Some(e) = assign.error {
        return Err(e);
    }
    let stored = weights.names().len();
    if assign.used != stored {
        return Err(LoadError::Metadata(format!(
            "{stored} tensors stored, the configuration has {} parameters",
            assign.used
        )));
    }
    Ok((model, config))
}
