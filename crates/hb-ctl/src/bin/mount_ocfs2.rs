fn main() {
    std::process::exit(o2cb::main_with(hb_ctl::mount::run));
}
