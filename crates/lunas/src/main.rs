// mimalloc: fewer cycles per request than glibc's allocator under many threads
// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lunas::cli::main()
}
