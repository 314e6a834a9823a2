#[cfg(target_arch = "wasm32")]
fn main() {
    app::install_panic_banner();
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the page runs in a browser: `cargo xtask serve`");
}
