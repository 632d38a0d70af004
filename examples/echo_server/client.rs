//! The self-test's clients: each connects and behaves in one of four ways,
//! checking every byte echoed back.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::IO_TIMEOUT;

/// How long a chatting client pauses after each message: long enough that
/// more than [`WORKERS`](crate::WORKERS) connections are open at once.
const CHAT_PAUSE: Duration = Duration::from_millis(100);
/// One MiB, the "large message" of the self-test.
const MIB: usize = 1 << 20;

/// What a client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Several messages, each echo checked.
    Chat,
    /// One MiB, written while the echo is read back.
    Large,
    /// Sends part of a message, reads a little, hangs up.
    HangUp,
    /// Connects and closes without sending anything.
    Silent,
}

impl Behaviour {
    /// The behaviour of client number `index`.
    pub fn of(index: usize) -> Behaviour {
        match index % 25 {
            3 => Behaviour::Large,
            1 | 11 | 21 => Behaviour::HangUp,
            2 | 12 | 22 => Behaviour::Silent,
            _ => Behaviour::Chat,
        }
    }
}

/// Connects and behaves as told; returns how many echoed bytes it checked.
pub fn run(address: SocketAddr, index: usize, behaviour: Behaviour) -> io::Result<usize> {
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    match behaviour {
        Behaviour::Chat => chat(&mut stream, index),
        Behaviour::Large => large(stream, index),
        Behaviour::HangUp => hang_up(stream, index),
        Behaviour::Silent => silent(stream),
    }
}

/// The byte at `offset` of message `message` of client `index`.
fn pattern(index: usize, message: usize, offset: usize) -> u8 {
    (index.wrapping_mul(31) ^ message.wrapping_mul(17) ^ offset.wrapping_mul(7) ^ (offset >> 8))
        as u8
}

/// Message `message` of client `index`, `len` bytes long.
fn message_bytes(index: usize, message: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|offset| pattern(index, message, offset))
        .collect()
}

/// Reads exactly `expected.len()` bytes and checks each one.
fn expect_echo(stream: &mut TcpStream, expected: &[u8]) -> io::Result<usize> {
    let mut echoed = vec![0u8; expected.len()];
    stream.read_exact(&mut echoed)?;
    match echoed.iter().zip(expected).position(|(a, b)| a != b) {
        None => Ok(expected.len()),
        Some(at) => Err(io::Error::other(format!("wrong byte at offset {at}"))),
    }
}

/// Closes the sending side and checks that the server then closes too.
fn expect_close(stream: &mut TcpStream) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    if rest.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{} unexpected bytes", rest.len())))
    }
}

/// Three messages of 1 to 16 KiB, each echo checked, with pauses of
/// [`CHAT_PAUSE`] so that connections overlap and some clients wait for a worker.
fn chat(stream: &mut TcpStream, index: usize) -> io::Result<usize> {
    let mut checked = 0;
    for message in 0..3 {
        let len = 1 + (index * 7919 + message * 131) % (16 * 1024);
        let bytes = message_bytes(index, message, len);
        stream.write_all(&bytes)?;
        checked += expect_echo(stream, &bytes)?;
        thread::sleep(CHAT_PAUSE);
    }
    expect_close(stream)?;
    Ok(checked)
}

/// One MiB, written by a second thread while this one reads the echo (with
/// one thread doing both, both sides' buffers would fill and stall).
fn large(mut stream: TcpStream, index: usize) -> io::Result<usize> {
    let bytes = Arc::new(message_bytes(index, 0, MIB));
    let mut writer = stream.try_clone()?;
    let to_send = Arc::clone(&bytes);
    let sender = thread::spawn(move || {
        writer.write_all(&to_send)?;
        writer.shutdown(Shutdown::Write)
    });
    let checked = expect_echo(&mut stream, &bytes);
    sender
        .join()
        .expect("the writer returns errors, never panics")?;
    let checked = checked?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(io::Error::other("bytes after the echo"));
    }
    Ok(checked)
}

/// Sends 32 KiB of a longer message, checks the first KiB of the echo, and
/// hangs up without reading the rest (the server sees the connection reset).
fn hang_up(mut stream: TcpStream, index: usize) -> io::Result<usize> {
    let bytes = message_bytes(index, 0, 32 * 1024);
    stream.write_all(&bytes)?;
    let checked = expect_echo(&mut stream, &bytes[..1024])?;
    drop(stream);
    Ok(checked)
}

/// Connects, sends nothing, closes; the server must close its side too.
fn silent(mut stream: TcpStream) -> io::Result<usize> {
    expect_close(&mut stream)?;
    Ok(0)
}
