//! Rebuild when a migration is added, removed or changed: `embed_migrations!`
//! reads the directory at compile time, and cargo cannot see a new folder on its own.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
