/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Ticket rules; see ticket.h. */
#include "domain/ticket.h"

#include <string.h>

#include "base/banned.h"

const char *const sd_ticket_statuses[] = {"new", "open", "pending", "resolved", "closed", NULL};
const char *const sd_ticket_channels[] = {"video", "text", NULL};
const char *const sd_ticket_priorities[] = {"low", "normal", "high", "urgent", NULL};
const char *const sd_ticket_categories[] = {"bug",     "feature_request", "how_to",
                                            "billing", "account_access",  NULL};
const char *const sd_ticket_urgencies[] = {"low", "medium", "high", "critical", NULL};
const char *const sd_ticket_sentiments[] = {"frustrated", "neutral", "positive", NULL};
const char *const sd_agent_roles[] = {"admin", "agent", NULL};

bool sd_domain_one_of(const char *const *set, const char *value)
{
    if (value == NULL) {
        return false;
    }
    for (; *set; set++) {
        if (strcmp(*set, value) == 0) {
            return true;
        }
    }
    return false;
}

bool sd_ticket_can_move(const char *from, const char *to)
{
    if (!sd_domain_one_of(sd_ticket_statuses, from) || !sd_domain_one_of(sd_ticket_statuses, to)) {
        return false;
    }
    if (strcmp(from, to) == 0) {
        return true;
    }
    if (strcmp(from, "closed") == 0 || strcmp(to, "new") == 0) {
        return false;
    }
    return true;
}

sd_status sd_ticket_set_status(struct sd_ticket *t, const char *to, int64_t now_ms,
                               struct sd_err *err)
{
    if (!sd_ticket_can_move(t->status, to)) {
        if (strcmp(t->status, "closed") == 0) {
            return sd_err_set(err, SD_E_CONFLICT, "status",
                              "ticket is closed and cannot become '%s'; open a new ticket instead",
                              to);
        }
        return sd_err_set(err, SD_E_CONFLICT, "status", "a ticket cannot move from '%s' to '%s'",
                          t->status, to);
    }
    if (strcmp(t->status, to) == 0) {
        return SD_OK;
    }
    if (strcmp(to, "resolved") == 0) {
        t->resolved_at = now_ms;
    } else if (strcmp(to, "closed") != 0) {
        t->resolved_at = 0;
    }
    t->status = strcmp(to, "open") == 0       ? "open"
                : strcmp(to, "pending") == 0  ? "pending"
                : strcmp(to, "resolved") == 0 ? "resolved"
                                              : "closed";
    t->updated_at = now_ms;
    return SD_OK;
}

void sd_ticket_on_message(struct sd_ticket *t, const char *author_type, bool is_internal,
                          int64_t now_ms)
{
    t->updated_at = now_ms;
    if (is_internal) {
        return;
    }
    if (strcmp(author_type, "agent") == 0) {
        if (t->first_response_at == 0) {
            t->first_response_at = now_ms;
        }
        if (strcmp(t->status, "new") == 0) {
            t->status = "open";
        }
    } else if (strcmp(author_type, "customer") == 0) {
        /* A customer writing back reopens a ticket that waited on them or was resolved. */
        if (strcmp(t->status, "pending") == 0 || strcmp(t->status, "resolved") == 0) {
            t->status = "open";
            t->resolved_at = 0;
        }
    }
}
