//! The page's trained model and which weights it has: the shipped file, a student's
//! run, or a file they opened. The trained panel, the few-shot panel and "Measure" all
//! read this one model.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::compute::fetch;
use lab::trained::Trained;

/// Where the weights are: their own file, so the page's first frame does not wait for them.
pub(in crate::page) const WEIGHTS: &str = "assets/mini-flamingo.safetensors";

/// The model, once its weights have arrived, shared by the trained, few-shot and training panels.
pub(in crate::page) type Model = Rc<RefCell<Option<Trained>>>;

/// Runs `work` on the model taken out of its cell and puts it back, so no borrow
/// lives across an await; `None` before the weights have arrived.
pub(in crate::page) async fn with_model<T>(
    model: &Model,
    work: impl AsyncFnOnce(&mut Trained) -> T,
) -> Option<T> {
    let mut trained = model.borrow_mut().take()?;
    let out = work(&mut trained).await;
    *model.borrow_mut() = Some(trained);
    Some(out)
}

/// Fetches the weights and loads the model here (captions) and in every worker of the
/// pool ("Measure"), now or when the pool starts.
pub(in crate::page) fn load(
    model: Model,
    loaded: RwSignal<Option<Result<(), String>>>,
    pool: crate::compute::pool::Shared,
) {
    let weights = fetch::bytes(WEIGHTS);
    spawn_local(async move {
        let result = weights
            .await
            .and_then(|bytes| install(&bytes, &model, &pool));
        loaded.set(Some(result));
    });
}

/// Which weights the page's model has: `None` for the shipped ones, else what they are
/// (a student's run, or a file they opened).
pub(in crate::page) type InUse = RwSignal<Option<String>>;

/// `bytes` become the page's model as `what` (see [`InUse`]); every panel that reads
/// the model follows. A file that is not weights changes nothing and says why.
pub(in crate::page) fn switch_to(
    bytes: &[u8],
    what: Option<String>,
    model: &Model,
    pool: &crate::compute::pool::Shared,
    loaded: RwSignal<Option<Result<(), String>>>,
    in_use: InUse,
) -> Result<(), String> {
    install(bytes, model, pool)?;
    in_use.set(what);
    loaded.set(Some(Ok(())));
    Ok(())
}

/// The shipped weights again; a failure is said in `message`.
pub(in crate::page) fn back_to_shipped(
    model: Model,
    pool: crate::compute::pool::Shared,
    loaded: RwSignal<Option<Result<(), String>>>,
    in_use: InUse,
    message: RwSignal<Option<String>>,
) {
    spawn_local(async move {
        let result = fetch::bytes(WEIGHTS)
            .await
            .and_then(|bytes| switch_to(&bytes, None, &model, &pool, loaded, in_use));
        if let Err(e) = result {
            message.set(Some(e));
        }
    });
}

/// `bytes` (weights in the shipped file's format) become the page's model, and the pool's
/// for Measure, once they have been read whole; until then nothing changes.
pub(in crate::page) fn install(
    bytes: &[u8],
    model: &Model,
    pool: &crate::compute::pool::Shared,
) -> Result<(), String> {
    let trained = Trained::load(bytes, &crate::compute::worker::cpu())
        .map_err(|e| format!("the trained weights could not be read: {e}"))?;
    crate::compute::pool::load_trained(pool, bytes);
    *model.borrow_mut() = Some(trained);
    Ok(())
}
