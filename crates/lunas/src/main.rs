fn main() -> std::process::ExitCode {
    lunas::cli::main()
}
