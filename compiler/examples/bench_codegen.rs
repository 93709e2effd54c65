//! Times the compiler's two steps behind `svcc::main!`: reading and checking
//! a config (`check_path`) and generating the macro's tokens
//! (`codegen::generate`), each ITER times, and prints the medians in µs.
//! A benchmark, not a test (bench/build.sh runs it):
//!
//!   cargo run --release -p svcc-compiler --example bench_codegen -- FILE [ITER]
//!
//! Output: one `key=value` line per figure, then one human line.
//! `generate` runs outside a proc-macro (proc_macro2's fallback tokens), so
//! the figure excludes rustc's conversion of the tokens and its expansion of
//! the generated items.

use std::time::{Duration, Instant};

fn median_us(v: &mut [Duration]) -> f64 {
    v.sort();
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    };
    m.as_secs_f64() * 1e6
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: bench_codegen FILE [ITER]");
        std::process::exit(2);
    };
    let iter: usize = match args.next().map(|s| s.parse()) {
        None => 50,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("bench_codegen: ITER must be a positive integer");
            std::process::exit(2);
        }
    };
    let opts = svcc_compiler::Options::default();

    // One untimed round: warms the page cache and the allocator, and gives
    // the figures reported alongside the times.
    let checked = match svcc_compiler::check_path(&path, &opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench_codegen: {path}: {e}");
            std::process::exit(2);
        }
    };
    let tokens = svcc_compiler::codegen::generate(&svcc_compiler::codegen::Input {
        checked: &checked,
        handlers: &[],
        krate: quote::quote!(::svcc),
    });
    let text = tokens.to_string();
    let compile_errors = text.matches("compile_error").count();
    let statics = svcc_compiler::codegen::runnable(&checked.model).count();
    drop(checked);

    let mut t_check = Vec::with_capacity(iter);
    let mut t_gen = Vec::with_capacity(iter);
    let mut t_str = Vec::with_capacity(iter);
    let mut t_both = Vec::with_capacity(iter);
    let mut len = 0;
    for _ in 0..iter {
        let t0 = Instant::now();
        let c = svcc_compiler::check_path(&path, &opts).expect("config readable");
        let t1 = Instant::now();
        let ts = svcc_compiler::codegen::generate(&svcc_compiler::codegen::Input {
            checked: &c,
            handlers: &[],
            krate: quote::quote!(::svcc),
        });
        let t2 = Instant::now();
        // What a proc-macro hands back to rustc is a token stream; the
        // string form is timed separately as an upper bound of that hand-over.
        len = std::hint::black_box(ts.to_string()).len();
        let t3 = Instant::now();
        t_check.push(t1 - t0);
        t_gen.push(t2 - t1);
        t_str.push(t3 - t2);
        t_both.push(t2 - t0);
        drop(std::hint::black_box(c));
    }
    let check = median_us(&mut t_check);
    let gen = median_us(&mut t_gen);
    let to_string = median_us(&mut t_str);
    let both = median_us(&mut t_both);
    println!("file={path}");
    println!("iterations={iter}");
    println!("runnable_services={statics}");
    println!("compile_errors={compile_errors}");
    println!("token_text_bytes={len}");
    println!("check_us={check:.1}");
    println!("generate_us={gen:.1}");
    println!("check_plus_generate_us={both:.1}");
    println!("to_string_us={to_string:.1}");
    println!(
        "{path}: median of {iter}: check {check:.1} us, generate {gen:.1} us ({statics} runnable services, {compile_errors} compile_error!s, {len} bytes of tokens)"
    );
}
