//! The `formroute` command: a thin clap shell over `formroute-core`.

fn main() {
    eprintln!("formroute: not yet implemented");
    std::process::exit(2);
}
