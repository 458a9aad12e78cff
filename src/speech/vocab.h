/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: a workspace's vocabulary for the embedded engine, without the
 * engine: what words the workspace uses (its word list, help articles and
 * ticket subjects), how each unknown word is pronounced, and a small n-gram
 * model of its phrases that pocketsphinx interpolates with the general one.
 *
 * Pronunciations (ARPAbet, as in CMUdict) of a word the dictionary lacks
 * come, in order, from:
 *  1. splitting it into dictionary words ("salesforce" = sales + force,
 *     "webhooks" = web + hooks), fewest and longest parts first;
 *  2. for an acronym as written ("SAML", "SSO", "API2"), its letters spelled
 *     out, and, when it has a vowel, also read as a word (S AE M AH L);
 *  3. letter-to-sound rules of English spelling (digraphs, silent final e,
 *     doubled consonants) for what is left.
 * The result may have up to two variants; both go into the dictionary.
 *
 * The model (sd__vocab_arpa) is a trigram model in ARPA format over the
 * lowercased words of the corpus and phrases, with absolute discounting and
 * back-off weights that make every distribution sum to one; the phrases
 * count several times over, since they are what the workspace cares about.
 *
 * Pure functions over the caller's data; MT safe.
 */
#ifndef SD_SPEECH_VOCAB_H
#define SD_SPEECH_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Looks @word (lowercase) up in the dictionary: its phones ("S EY L Z"), or NULL. */
typedef const char *(*sd__vocab_lookup_fn)(void *user, const char *word);

#define SD__VOCAB_PHONES_MAX 256

/**
 * Pronunciations of @word as written (case matters for acronyms) into
 * @out[0] and, when there is a second reading, @out[1] (else ""). Returns
 * the number of variants (1 or 2), 0 for a word without letters.
 */
int sd__vocab_pronounce(const char *word, sd__vocab_lookup_fn lookup, void *user,
                        char out[2][SD__VOCAB_PHONES_MAX]);

/**
 * The words of @text in order, lowercased, as the engine spells them: runs of
 * letters, digits and inner apostrophes; "e-mail" gives "e" and "mail".
 * Calls @fn for each, with a sentence end (punctuation . ! ? or a line
 * break) passed as an empty word.
 */
void sd__vocab_words(const char *text,
                     void (*fn)(void *user, const char *word, bool as_written_upper), void *user);

/**
 * Writes a trigram ARPA model of @corpus (nullable) and the @n_phrases
 * @phrases (each counted @phrase_weight times, as its own sentence) into
 * @out. SD_E_INVALID when there is no word at all.
 */
SD_MUST_CHECK sd_status sd__vocab_arpa(const char *corpus, const char *const *phrases,
                                       size_t n_phrases, int phrase_weight, struct sd_buf *out,
                                       struct sd_err *err);

#endif
