// The example (examples/embedded.rs) compiles the repository's migrations/ and seeds/ in
// with furrow::embed!: a file added to either rebuilds it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=seeds");
}
