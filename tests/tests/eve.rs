//! The teaching tool `eve` between real clients and a real server: in a toy-group chat it
//! prints every secure message decrypted; in an ffdhe2048 chat it shows the sealed tokens and
//! says why it cannot read them. The chat itself goes on unharmed either way. With `--mitm`
//! it swaps keys and the safety codes differ.

use std::process::{Child, Command, Stdio};
use tests::agreement::connect_until_keyed;
use tests::{binary, Client, Server, Transcript, WAIT};

/// A running `eve 0 127.0.0.1:<server port>`, killed on drop.
struct Eve {
    child: Child,
    port: u16,
    out: Transcript,
}

impl Eve {
    fn start(server: &Server) -> Eve {
        Eve::start_with(server, &[])
    }

    fn start_with(server: &Server, extra: &[&str]) -> Eve {
        let mut child = Command::new(binary("eve"))
            .args(["0", &format!("127.0.0.1:{}", server.port())])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("eve starts");
        let out = Transcript::capture(child.stdout.take().expect("piped"));
        let port = out
            .wait_for(WAIT, |l| l.starts_with("eve: listening on port "))
            .and_then(|l| {
                l.split_whitespace()
                    .nth(4)?
                    .trim_end_matches(',')
                    .parse()
                    .ok()
            })
            .expect("eve says which port it listens on");
        Eve { child, port, out }
    }
}

impl Drop for Eve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// In the toy group eve recovers the key from the two public values and reads the secret.
#[test]
fn eve_reads_a_toy_group_chat() {
    let server = Server::start_with(&["--dh-group", "toy"]);
    let eve = Eve::start(&server);
    let flag = ["--allow-toy-group"];
    let mut alice = Client::registered_at(eve.port, "alice", &flag);
    let mut bob = Client::registered_at(eve.port, "bob", &flag);
    connect_until_keyed(&mut alice, &bob);
    bob.send("secure: the password is swordfish");
    alice.expect("bob (secure): the password is swordfish");
    eve.out
        .wait_for(WAIT, |l| {
            l.contains("tried exponents until") && l.contains("x = ")
        })
        .unwrap_or_else(|| panic!("eve never recovered the key: {:#?}", eve.out.lines()));
    eve.out
        .wait_for(WAIT, |l| {
            l == "  eve: bob wrote, decrypted: \"the password is swordfish\""
        })
        .unwrap_or_else(|| panic!("eve never read the message: {:#?}", eve.out.lines()));
}

/// In ffdhe2048 eve sees the values and the sealed token, says why it cannot read them, and
/// prints no plaintext; the chat works through it.
#[test]
fn eve_cannot_read_an_ffdhe2048_chat() {
    let server = Server::start();
    let eve = Eve::start(&server);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let mut bob = Client::registered_at(eve.port, "bob", &[]);
    connect_until_keyed(&mut alice, &bob);
    alice.send("secure: the password is swordfish");
    bob.expect("alice (secure): the password is swordfish");
    bob.send("plain words");
    alice.expect_line("bob: plain words");
    eve.out
        .wait_for(WAIT, |l| l.contains("ffdhe2048: a 2048-bit prime"))
        .unwrap_or_else(|| panic!("eve did not explain the group: {:#?}", eve.out.lines()));
    eve.out
        .wait_for(WAIT, |l| l.contains("unreadable without the key"))
        .unwrap_or_else(|| panic!("eve did not show the token: {:#?}", eve.out.lines()));
    eve.out
        .wait_for(WAIT, |l| {
            l == "  eve: bob wrote, in plain text: \"plain words\""
        })
        .unwrap_or_else(|| panic!("eve did not see the plain line: {:#?}", eve.out.lines()));
    assert!(
        !eve.out.lines().iter().any(|l| l.contains("swordfish")),
        "{:#?}",
        eve.out.lines()
    );
}

/// `eve --mitm` in an ffdhe2048 chat: both clients accept its keys (it committed first, as an
/// honest client does), the chat keeps working, eve reads the secure message, and the two
/// safety codes differ: comparing them catches it.
#[test]
fn eve_in_the_middle_makes_the_codes_differ() {
    let server = Server::start();
    let eve = Eve::start_with(&server, &["--mitm"]);
    let mut alice = Client::registered_at(eve.port, "alice", &[]);
    let mut bob = Client::registered_at(eve.port, "bob", &[]);
    let (a, b) = connect_until_keyed(&mut alice, &bob);
    assert_ne!(a, b, "a man in the middle must show as different codes");
    alice.send("secure: meet me at the back door");
    bob.expect_line("alice (secure): meet me at the back door");
    bob.send("secure: ok");
    alice.expect_line("bob (secure): ok");
    eve.out
        .wait_for(WAIT, |l| {
            l.contains("alice wrote \"meet me at the back door\"")
        })
        .unwrap_or_else(|| panic!("eve did not read it: {:#?}", eve.out.lines()));
    for (who, code) in [("alice", &a), ("bob", &b)] {
        assert!(
            eve.out
                .lines()
                .iter()
                .any(|l| l == &format!("  eve (middle): {who} will see the safety code {code}")),
            "eve did not predict {who}'s code {code}: {:#?}",
            eve.out.lines()
        );
    }
}
