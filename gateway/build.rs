//! Embeds the web app: every file of `web/dist` (built by `web/`'s `npm run build` and
//! committed, so building the gateway needs no Node) becomes an entry of `WEB_ASSETS`, a table
//! sorted by URL path that `server.rs` includes and serves at `/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = manifest.join("../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());

    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &dist, &mut files);
    } else {
        println!("cargo:warning=web/dist is missing: the gateway will serve no web app (run `npm run build` in web/)");
    }
    files.sort();

    let mut table =
        String::from("/// The web app's files by URL path, sorted.\npub static WEB_ASSETS: &[(&str, &[u8])] = &[\n");
    for (url, path) in &files {
        writeln!(table, "    ({url:?}, include_bytes!({:?})),", path.display().to_string())
            .expect("writing to a String");
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("web_assets.rs");
    std::fs::write(out, table).expect("writing web_assets.rs");
}

/// Every file below `dir`, as (URL path from `root`, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("reading web/dist") {
        let path = entry.expect("reading web/dist").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("below web/dist");
            let url = relative.components().fold(String::new(), |mut url, part| {
                url.push('/');
                url.push_str(&part.as_os_str().to_string_lossy());
                url
            });
            files.push((url, path.canonicalize().expect("a file of web/dist")));
        }
    }
}
