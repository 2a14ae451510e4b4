//! Eve grinding (`eve --grind`): in the middle, she holds back each client's public value
//! until she has both, hands out the search for values of her own that make the two safety
//! codes agree, and passes on what it found, saying what the clients will make of it.

use crate::eve::actions::{Actions, GrindJob, Way};
use crate::eve::middle::{eve_session, param_line, Middle};
use crate::eve::search::{Finding, Formula, Goal, SearchError, Target};
use crate::eve::watch::{Between, Watch};
use common::dh::PublicValue;
use std::sync::Arc;

/// Grinding: `conn`'s `key_param` (`rest` after the word) is held back; once its partner's
/// is too, the search is handed out.
pub(super) fn hold(
    middle: &mut Middle,
    watch: &mut Watch,
    goal: Goal,
    between: Between,
    rest: &str,
    line: &str,
    actions: &mut Actions,
) {
    let Between {
        conn,
        chat,
        partner,
    } = between;
    let who = watch.label(conn);
    let other = watch.label(partner);
    let swaps = &mut middle.swaps;
    let Some(swap) = swaps.get_mut(&(chat, conn)) else {
        return actions.forward(conn, Way::ToServer, line);
    };
    let value = rest.rsplit(' ').next().unwrap_or_default();
    // A second key_param is chat text to the server, and a malformed value is refused by
    // the partner itself: either goes on as it is.
    let value = match PublicValue::parse(swap.pair.group(), value) {
        Ok(value) if swap.held.is_none() => value,
        _ => return actions.forward(conn, Way::ToServer, line),
    };
    swap.held = Some((rest.to_string(), value));
    actions.print.push(format!(
        "  eve (grind): holding {who}'s value back: eve needs both before it can search"
    ));
    let both = [(conn, who), (partner, other)].map(|(c, name)| {
        let swap = swaps.get(&(chat, c))?;
        let (_, value) = swap.held.as_ref()?;
        let formula = match swap.theirs {
            Some(client) => Formula::Committed {
                chat,
                client,
                eve: swap.commitment,
            },
            None => Formula::Uncommitted,
        };
        Some(Target {
            name,
            value: value.clone(),
            formula,
            start: Arc::clone(&swap.pair),
        })
    });
    let [Some(mine), Some(theirs)] = both else {
        return;
    };
    let Some(entry) = watch.chats.get_mut(&chat) else {
        return;
    };
    if std::mem::replace(&mut entry.grinding, true) {
        return;
    }
    actions.grind = Some(GrindJob {
        chat,
        conns: [conn, partner],
        targets: [mine, theirs],
        goal,
    });
}

/// The search handed out for `job` is over: passes on the held values, replaced by what
/// it found (or, if it found nothing, by the values eve committed to), and says what the
/// clients will make of them.
pub fn ground(
    middle: &mut Middle,
    job: &GrindJob,
    outcome: Result<Finding, SearchError>,
) -> Actions {
    let mut actions = Actions::default();
    let chat = job.chat;
    let names = job.targets.clone().map(|t| t.name);
    let swaps = &mut middle.swaps;
    let held = job
        .conns
        .map(|c| swaps.get(&(chat, c)).and_then(|s| s.held.clone()));
    let [Some((rest_0, _)), Some((rest_1, _))] = held else {
        return actions;
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => {
            actions.print.push(format!(
                "  eve (grind): cannot search: {err}; passing both values on unchanged"
            ));
            for (conn, rest) in [(job.conns[0], rest_0), (job.conns[1], rest_1)] {
                actions.forward(conn, Way::ToServer, &format!("key_param {rest}"));
            }
            return actions;
        }
    };
    let mut refused = [false; 2];
    for (i, &conn) in job.conns.iter().enumerate() {
        let Some(swap) = swaps.get_mut(&(chat, conn)) else {
            continue;
        };
        let Some((_, honest)) = swap.held.clone() else {
            continue;
        };
        let reveal = &outcome.reveal[i];
        let group = swap.pair.group();
        refused[i] = swap.theirs.is_some() && !swap.commitment.opens_to(group, chat, &reveal.value);
        // A client that refuses the value agrees no key with eve: nothing to read or seal.
        swap.session =
            (!refused[i]).then(|| eve_session(chat, swap, &reveal.value, &honest, &reveal.secret));
        actions.print.push(if refused[i] {
            format!(
                "  eve (grind): {who} will refuse eve's new value: it does not open the \
                     commitment eve sent {who} before it knew anything (\"does not match the \
                     commitment\")",
                who = names[i]
            )
        } else {
            format!(
                "  eve (grind): {} will accept eve's value and see the safety code {}",
                names[i], reveal.code
            )
        });
    }
    // Each client's key_param reaches its partner: it carries eve's value for the partner.
    for (i, rest) in [rest_0, rest_1].iter().enumerate() {
        let line = param_line(rest, &outcome.reveal[1 - i].value);
        actions.forward(job.conns[i], Way::ToServer, &line);
    }
    let digits = job.goal.digits;
    actions
        .print
        .push(match (outcome.matched, refused.contains(&true)) {
            (true, true) => "  eve (grind): the commitments beat the search: eve committed to \
                 its values before it knew either real value, so the codes were settled \
                 before anyone could search, and every value found later is a new one that \
                 the clients refuse. secure: is off for this chat"
                .to_string(),
            (true, false) => format!(
                "  eve (grind): no client committed first (the original's exchange), so both \
                 accept, their codes agree in the first {digits} digits, and eve reads and \
                 seals again every secure message: the attack the commitment step stops"
            ),
            (false, _) => "  eve (grind): no match, so eve sends the values it committed to: \
                 the codes differ, as with --mitm"
                .to_string(),
        });
    actions
}
