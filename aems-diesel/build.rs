//! Rebuild when a migration is added, removed or changed: `embed_migrations!`
//! reads the directory at compile time, and cargo cannot see a new folder on its own.
//!
//! `migrations` is a symbolic link to the repository's top-level `migrations/`
//! (`cargo package` follows it and packs the files themselves, so the published
//! crate embeds them too). The link is resolved here so that cargo watches the
//! files behind it, not the link.
fn main() {
    let dir = std::fs::canonicalize("migrations").unwrap_or_else(|e| {
        panic!("aems-diesel needs its migrations directory (a link to ../migrations): {e}")
    });
    println!("cargo:rerun-if-changed={}", dir.display());
}
