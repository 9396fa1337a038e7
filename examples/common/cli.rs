//! What the command lines of the simulator and the gateway share: clap's help and usage
//! errors written to the given streams, `-` for standard input, and `main`.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::Parser;

/// Standard input, as a command line receives it.
pub type Input<'a> = &'a mut dyn Read;
/// Standard output or standard error, as a command line receives it.
pub type Output<'a> = &'a mut dyn Write;

/// A command line: its arguments (without the program's name), standard input, standard
/// output and standard error; it returns the exit status.
pub type Cli = fn(&[String], &mut dyn Read, &mut dyn Write, &mut dyn Write) -> u8;

/// Parses `args` (without the program's name). On `--help` or `--version` it writes
/// clap's text to `stdout` and returns `Err(0)`; on a usage error (an unknown flag, a
/// missing argument, a bad number) it writes the message to `stderr` and returns `Err(2)`.
pub fn parse<P: Parser>(
    args: &[String],
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<P, u8> {
    let name = P::command().get_name().to_string();
    let args = std::iter::once(name.as_str()).chain(args.iter().map(String::as_str));
    P::try_parse_from(args).map_err(|error| {
        // A failed write leaves nothing better to do than the exit status.
        let _ = if error.use_stderr() {
            write!(stderr, "{}", error.render())
        } else {
            write!(stdout, "{}", error.render())
        };
        u8::try_from(error.exit_code()).unwrap_or(2)
    })
}

/// The text of the file at `path`, or of standard input when `path` is `-`.
pub fn read_input(path: &str, stdin: &mut dyn Read) -> io::Result<String> {
    if path == "-" {
        let mut input = String::new();
        stdin.read_to_string(&mut input).map(|_| input)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Writes `output` to `stdout` and flushes it: status 0, or 1 after a message on `stderr`
/// naming `program`.
pub fn write_output(
    program: &str,
    output: &str,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(stderr, "{program}: writing the output: {error}");
            1
        }
    }
}

/// Runs `cli` on the process's arguments and standard streams.
pub fn main(cli: Cli) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = cli(
        &args,
        &mut io::stdin().lock(),
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    );
    ExitCode::from(status)
}
