//! Eve in the middle (`eve --mitm`, and under `--grind`): her own key exchange with each
//! client, committed to before she has seen anything of the chat, and every secure message
//! opened and sealed again for the other side.

use crate::eve::actions::{Actions, Agreed, Way};
use crate::eve::watch::{Between, Watch};
use common::commitment::Commitment;
use common::dh::{Group, KeyPair, PublicValue, SharedSecret};
use common::protocol::{Command, KeyLine};
use common::secure::Session;
use std::collections::HashMap;
use std::sync::Arc;

/// Eve's key exchanges with the clients she sits between.
#[derive(Debug, Default)]
pub struct Middle {
    /// Eve's key exchange with each client, by (chat, connection).
    pub(super) swaps: HashMap<(u64, usize), Swap>,
}

/// Eve's own side of one client's key exchange, in man-in-the-middle mode.
#[derive(Debug)]
pub(super) struct Swap {
    /// The key eve uses with this client, and its commitment (sent before anything is known).
    /// Shared with a search, which starts from it.
    pub(super) pair: Arc<KeyPair>,
    pub(super) commitment: Commitment,
    /// What the client committed to.
    pub(super) theirs: Option<Commitment>,
    /// Eve's session with this client, once both values are known.
    pub(super) session: Option<Session>,
    /// Grinding: the client's `key_param` (the text after the word) and its value, held back
    /// until the search is over.
    pub(super) held: Option<(String, PublicValue)>,
}

impl Middle {
    /// Eve's key pair toward `conn` in `chat`, while it has no secret yet: what
    /// [`crate::eve::actions::Needs::Agree`] computes with.
    pub(super) fn pair_to_agree(&self, chat: u64, conn: usize) -> Option<Arc<KeyPair>> {
        let swap = self.swaps.get(&(chat, conn))?;
        (swap.session.is_none() && swap.held.is_none()).then(|| Arc::clone(&swap.pair))
    }

    /// The chat is over: forgets eve's keys in it, and returns the safety code each client
    /// was shown, by connection.
    pub(super) fn forget(&mut self, chat: u64) -> Vec<(usize, String)> {
        let mut codes = Vec::new();
        self.swaps.retain(|&(c, conn), swap| {
            if c != chat {
                return true;
            }
            if let Some(session) = &swap.session {
                codes.push((conn, session.safety_code()));
            }
            false
        });
        codes.sort();
        codes
    }

    /// A chat begins: eve makes her key for `conn`'s client, and commits to it before she has
    /// seen anything of the chat.
    /// `made`: a key pair made outside the lock ([`crate::eve::actions::Needs`]), used if it
    /// is of the right group.
    pub(super) fn begin(&mut self, chat: u64, conn: usize, group: Group, made: Option<KeyPair>) {
        let pair = made
            .filter(|pair| pair.group() == group)
            .unwrap_or_else(|| KeyPair::generate(group));
        let commitment = Commitment::to(group, chat, pair.public());
        self.swaps.insert(
            (chat, conn),
            Swap {
                pair: Arc::new(pair),
                commitment,
                theirs: None,
                session: None,
                held: None,
            },
        );
    }

    /// Passes on the line a client sent (`command`, parsed from `line`), as eve wants its
    /// partner to get it: eve's commitment and value in place of the client's, each secure
    /// message opened and sealed again. `grinding`: say once why eve must commit so early.
    /// `agreed`: eve's secret with this client, computed outside the lock, if it was.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn swap_in(
        &mut self,
        watch: &mut Watch,
        between: Between,
        command: Result<Command, common::protocol::CommandError>,
        line: &str,
        grinding: bool,
        agreed: Option<Agreed>,
        actions: &mut Actions,
    ) {
        let Between {
            conn,
            chat,
            partner,
        } = between;
        let who = watch.label(conn);
        let swaps = &mut self.swaps;
        let forward = match command {
            Ok(Command::KeyCommit(rest)) => {
                if let Some(swap) = swaps.get_mut(&(chat, conn)) {
                    let hex = rest.rsplit(' ').next().unwrap_or_default();
                    swap.theirs = Commitment::parse(hex).ok();
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => {
                        actions.print.push(format!(
                            "  eve (middle): passing on my own commitment instead of {who}'s"
                        ));
                        let explained = watch
                            .chats
                            .get_mut(&chat)
                            .map(|c| std::mem::replace(&mut c.commit_explained, true));
                        if grinding && explained == Some(false) {
                            actions.print.push(
                                "  eve (grind): eve has to commit now, to a value for each \
                                 side, before it knows either real value: a client reveals \
                                 its own only once it holds the partner's commitment"
                                    .into(),
                            );
                        }
                        KeyLine::Commit
                            .command(chat, &mine.commitment.to_string())
                            .to_string()
                    }
                    None => line.to_string(),
                }
            }
            Ok(Command::KeyParam(rest)) => {
                let value = rest.rsplit(' ').next().unwrap_or_default();
                // Only a client's first value counts: a second `key_param` is chat text to
                // the server, and costs eve no arithmetic.
                let first = swaps
                    .get_mut(&(chat, conn))
                    .filter(|swap| swap.session.is_none());
                if let Some(swap) = first {
                    if let Ok(value) = PublicValue::parse(swap.pair.group(), value) {
                        let secret = match agreed {
                            Some(a) if Arc::ptr_eq(&a.pair, &swap.pair) && a.value == value => {
                                a.secret
                            }
                            _ => swap.pair.agree(&value),
                        };
                        let session = eve_session(chat, swap, swap.pair.public(), &value, &secret);
                        actions.print.push(format!(
                            "  eve (middle): {who} will see the safety code {}",
                            session.safety_code()
                        ));
                        swap.session = Some(session);
                    }
                }
                match swaps.get(&(chat, partner)) {
                    Some(mine) => param_line(&rest, mine.pair.public()),
                    None => line.to_string(),
                }
            }
            Ok(Command::Secure(payload)) => {
                let opened = swaps
                    .get_mut(&(chat, conn))
                    .and_then(|s| s.session.as_mut())
                    .map(|s| s.open(&payload));
                let tally = watch.chats.get_mut(&chat).map(|c| &mut c.tally);
                if let Some(tally) = tally {
                    tally.sealed += 1;
                    tally.opened += u32::from(matches!(opened, Some(Ok(_))));
                }
                match opened {
                    Some(Ok(text)) => {
                        let other = watch.label(partner);
                        actions.print.push(format!(
                            "  eve (middle): {who} wrote {text:?}; eve read it with her key \
                             for {who}, sealing it again with her key for {other}"
                        ));
                        swaps
                            .get_mut(&(chat, partner))
                            .and_then(|s| s.session.as_mut())
                            .and_then(|s| s.seal(&text).ok())
                            .map_or_else(|| line.to_string(), |p| Command::Secure(p).to_string())
                    }
                    Some(Err(err)) => {
                        actions.print.push(format!(
                            "  eve (middle): could not open {who}'s message: {err}; passing \
                             it on as it is"
                        ));
                        line.to_string()
                    }
                    None => line.to_string(),
                }
            }
            _ => line.to_string(),
        };
        actions.forward(conn, Way::ToServer, &forward);
    }
}

/// Eve's session with the client of `swap`, as the client computes it: after commitments if
/// it committed, else the original's bare exchange.
pub(super) fn eve_session(
    chat: u64,
    swap: &Swap,
    eve_value: &PublicValue,
    client_value: &PublicValue,
    secret: &SharedSecret,
) -> Session {
    let group = swap.pair.group();
    match &swap.theirs {
        Some(theirs) => Session::after_commitments(
            group,
            chat,
            (&swap.commitment, theirs),
            eve_value,
            client_value,
            secret,
        ),
        None => Session::new(group, eve_value, client_value, secret),
    }
}

/// A client's `key_param` (`rest` after the word: `<chat> <value>`, or the original's bare
/// `<value>`) with `value` in place of its own.
pub(super) fn param_line(rest: &str, value: &PublicValue) -> String {
    match rest.rsplit_once(' ') {
        Some((chat, _)) => format!("key_param {chat} {value}"),
        None => format!("key_param {value}"),
    }
}
