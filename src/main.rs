fn main() {
    std::process::exit(pacsim::cli::main());
}
