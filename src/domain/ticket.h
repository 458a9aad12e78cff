/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the rules of a ticket, without I/O.
 *
 * The value sets of its fields, and its status machine:
 *
 *   new ──▶ open ◀──▶ pending
 *    │       │  ▲        │
 *    ▼       ▼  │        ▼
 *   resolved ◀──┴────────┘ ──▶ closed (final)
 *
 * Any status but closed may move to open, pending, resolved or closed; new is
 * only ever the first status; closed is final (a new ticket follows up).
 * Moving to resolved stamps resolved_at; leaving it clears the stamp. The
 * first public agent reply stamps first_response_at and opens a new ticket.
 * Pure functions, MT safe.
 */
#ifndef SD_DOMAIN_TICKET_H
#define SD_DOMAIN_TICKET_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "store/model.h"

/* NULL-terminated value sets, for validation tables and docs. */
extern const char *const sd_ticket_statuses[];
extern const char *const sd_ticket_channels[];
extern const char *const sd_ticket_priorities[];
extern const char *const sd_ticket_categories[];
extern const char *const sd_ticket_urgencies[];
extern const char *const sd_ticket_sentiments[];
extern const char *const sd_agent_roles[];

/** True when @value is one of the NULL-terminated @set. */
bool sd_domain_one_of(const char *const *set, const char *value);

/** True when a ticket may move from status @from to @to. */
bool sd_ticket_can_move(const char *from, const char *to);

/**
 * Moves @t to status @to at @now_ms, with the stamps that go with it;
 * SD_E_CONFLICT naming both statuses when the move is not allowed. Moving to
 * the status it has is a no-op.
 */
SD_MUST_CHECK sd_status sd_ticket_set_status(struct sd_ticket *t, const char *to, int64_t now_ms,
                                             struct sd_err *err);

/** Applies the effect of a new message on @t (first response, reopen). */
void sd_ticket_on_message(struct sd_ticket *t, const char *author_type, bool is_internal,
                          int64_t now_ms);

#endif
