//! The server proves its identity key: a client opens with `hello <nonce>` and gets a
//! signature over it. A proof that does not verify ends the client loudly; a client that does
//! not say `hello` (an older one, `nc`) registers as before, and a client facing an older
//! server, which refuses `hello` as a name, registers without a proof.

use common::identity::server_proof::{check_server_proof, prove_server};
use common::identity::{Identity, Nonce};
use common::protocol::{Hello, Notice, ServerLine};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use tests::{Client, RawClient, Server, WAIT};

/// A raw socket says `hello`, and the server answers with its key (the one whose fingerprint
/// it printed at start) and a signature over the nonce; then the name registers as usual.
#[test]
fn the_server_proves_its_key_over_our_nonce() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.expect("(server): Welcome to labchat! Please enter your user name:");
    let nonce = Nonce::generate();
    raw.send(&Hello(nonce).to_string());
    let line = raw.expect("(server): proof ");
    let Ok(ServerLine::Notice(Notice::ServerProof { key, signature })) = ServerLine::parse(&line)
    else {
        panic!("not a proof: {line:?}");
    };
    assert!(check_server_proof(&nonce, &key, &signature), "{line:?}");
    assert!(!check_server_proof(&Nonce::generate(), &key, &signature));
    assert_eq!(key.fingerprint().to_string(), server.fingerprint());
    // The key is the one kept in the server's own file.
    assert!(server.home().labchat().join("server-identity").exists());
    raw.send("alice");
    raw.expect("(server): Hello alice!");
}

/// `server fingerprint --identity FILE` prints the fingerprint the server prints at start with
/// that key (what a lab install hands to `client --server-key`), without starting a server.
#[test]
fn server_fingerprint_prints_the_key_the_server_proves() {
    let server = Server::start();
    let file = server.home().labchat().join("server-identity");
    let out = std::process::Command::new(tests::binary("server"))
        .args(["fingerprint", "--identity"])
        .arg(&file)
        .output()
        .expect("server fingerprint runs");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        server.fingerprint()
    );
}

/// An older client (or `nc`) sends its name first and registers as it always did; `hello`
/// after the first line is a name like any other (refused: it holds a space).
#[test]
fn a_client_without_hello_registers_as_before() {
    let server = Server::start();
    let mut raw = RawClient::register(server.port(), "bob");
    raw.send("status");
    raw.expect("(server): - bob: FREE (you)");
    assert!(raw.maybe("proof", std::time::Duration::ZERO).is_none());

    let mut late = server.raw();
    late.expect("Please enter your user name:");
    late.send("bob");
    late.expect("(server): The name 'bob' is already taken");
    late.send(&Hello(Nonce::generate()).to_string());
    late.expect("(server): That name is not valid:");
    assert!(late.maybe("proof", std::time::Duration::ZERO).is_none());
}

/// Whatever answers `hello` with a proof that does not verify is refused: the client says so
/// loudly and exits 1 without registering.
#[test]
fn a_bad_server_proof_is_refused_loudly() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let impostor = thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket.set_read_timeout(Some(WAIT)).unwrap();
        let mut out = socket.try_clone().unwrap();
        writeln!(
            out,
            "(server): Welcome to labchat! Please enter your user name:"
        )
        .unwrap();
        let mut lines = BufReader::new(socket).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(Hello::parse(&first).is_some(), "first line {first:?}");
        // A key it claims, signed over another nonce (a proof recorded earlier, say).
        let claimed = Identity::from_seed([1; 32]);
        let signature = prove_server(&claimed, &Nonce([0; 32]));
        let proof = Notice::ServerProof {
            key: claimed.public(),
            signature,
        };
        writeln!(out, "{}", ServerLine::Notice(proof)).unwrap();
        // Whatever else the client sends (it should send nothing and hang up).
        lines.map_while(Result::ok).collect::<Vec<_>>()
    });
    let mut client = Client::spawn(&[
        "127.0.0.1".into(),
        port.to_string(),
        "--name".into(),
        "alice".into(),
    ]);
    assert_eq!(client.expect_exit(WAIT), 1, "{}", client.dump());
    let said = format!("{:?}{:?}", client.stdout.lines(), client.stderr.lines());
    assert!(
        said.contains("WARNING: the server's proof of its identity does not verify"),
        "{}",
        client.dump()
    );
    let after = impostor.join().unwrap();
    assert!(
        after.is_empty(),
        "the client sent {after:?} after a bad proof"
    );
}

/// An older server takes `hello ...` for a name and refuses it; the client shows no such
/// refusal and registers with the name it was given, without a proof.
#[test]
fn an_older_server_refuses_hello_and_the_client_goes_on() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let old = thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        socket.set_read_timeout(Some(WAIT)).unwrap();
        let mut out: TcpStream = socket.try_clone().unwrap();
        writeln!(
            out,
            "(server): Welcome to labchat! Please enter your user name:"
        )
        .unwrap();
        let mut lines = BufReader::new(socket).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("hello "), "first line {first:?}");
        writeln!(out, "(server): That name is not valid: a name may hold only letters, digits, '_', '-' and '.', not ' ' (a space); please choose another:").unwrap();
        let name = lines.next().unwrap().unwrap();
        writeln!(out, "(server): Hello {name}! Type status to see who is here, connect <user> to chat, help for more.").unwrap();
        // Held open until the client leaves.
        lines.map_while(Result::ok).count()
    });
    let mut alice = Client::registered_at(port, "alice", &[]);
    assert!(
        !alice.stdout.lines().iter().any(|l| l.contains("not valid")),
        "{}",
        alice.dump()
    );
    alice.close_stdin();
    alice.expect_exit(WAIT);
    old.join().unwrap();
}
