/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * DESIGN: the blob store: media and derived files, encrypted at rest.
 *
 * Objects are named by the caller (ids: [a-z0-9_-], 1 to 64 characters) and
 * reached only through this interface, never by a path, so that the S3
 * driver can take the same calls. Every object is sealed (seal.h) with its
 * own key, wrapped by the master key and kept apart from the data; deleting
 * an object destroys its key first.
 *
 * Objects are written by appending, because uploads arrive in pieces and may
 * stop at any moment: sd_blob_create or sd_blob_resume gives a writer,
 * sd_blob_write appends, sd_blob_sync makes everything written so far
 * durable (a crash after it loses nothing), and sd_blob_finish closes the
 * object for good. Memory stays at one chunk per writer whatever the size.
 * Complete objects are read at any offset (HTTP Range), decrypting only the
 * chunks the range touches.
 *
 * Local driver layout, for DIR/NAME: NAME.key (the wrapped key), NAME.data
 * (seal header, then records of generation + sealed 64 KiB chunk) and, while
 * incomplete, NAME.tail (the sealed partial last chunk, replaced atomically
 * at each sync). A writer never seals two plaintexts under one nonce: each
 * record gets a fresh generation, and a resumed writer skips 2^32 of them
 * past the last synced one.
 *
 * Threads: an sd_blob is MT safe; a writer is used by one thread at a time,
 * and one writer at a time per object (the caller's upload lock).
 */
#ifndef SD_BLOB_BLOB_H
#define SD_BLOB_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "blob/seal.h"

typedef struct sd_blob sd_blob;
typedef struct sd_blob_writer sd_blob_writer;

struct sd_blob_info {
    uint64_t size;    /* plaintext bytes, durable ones for incomplete objects */
    bool is_complete; /* finished: readable, no longer appendable */
    int64_t mtime_s;  /* last change of the data, Unix seconds (HTTP Last-Modified) */
};

/** Opens the store in @dir (created if missing); @master is copied. */
SD_MUST_CHECK sd_status sd_blob_open(const char *dir, const struct sd_seal_key *master,
                                     sd_blob **out, struct sd_err *err);
/** Wipes the master key and frees the store; NULL is a no-op. */
void sd_blob_close(sd_blob *b);

/** Starts object @name; SD_E_CONFLICT when it exists. Caller owns the writer. */
SD_MUST_CHECK sd_status sd_blob_create(sd_blob *b, const char *name, sd_blob_writer **out,
                                       struct sd_err *err);
/**
 * Resumes the incomplete object @name after its last durable byte, which
 * *@size_out gives. SD_E_NOT_FOUND, or SD_E_CONFLICT when it is complete.
 */
SD_MUST_CHECK sd_status sd_blob_resume(sd_blob *b, const char *name, sd_blob_writer **out,
                                       uint64_t *size_out, struct sd_err *err);
/** Appends @n bytes. SD_E_IO when the disk refuses (full, gone). */
SD_MUST_CHECK sd_status sd_blob_write(sd_blob_writer *w, const void *data, size_t n,
                                      struct sd_err *err);
/** Bytes written so far, durable or not. */
uint64_t sd_blob_writer_size(const sd_blob_writer *w);
/** Makes every byte written so far durable. */
SD_MUST_CHECK sd_status sd_blob_sync(sd_blob_writer *w, struct sd_err *err);
/** Seals the last chunk and marks the object complete; then only close the writer. */
SD_MUST_CHECK sd_status sd_blob_finish(sd_blob_writer *w, struct sd_err *err);
/** Frees the writer; bytes written after the last sync may be lost. NULL is a no-op. */
void sd_blob_writer_close(sd_blob_writer *w);

SD_MUST_CHECK sd_status sd_blob_stat(sd_blob *b, const char *name, struct sd_blob_info *out,
                                     struct sd_err *err);
/**
 * Reads up to @n plaintext bytes of the complete object @name from @off into
 * @buf; *@got_out is less than @n only at the end. SD_E_IO when stored bytes
 * fail authentication.
 */
SD_MUST_CHECK sd_status sd_blob_read(sd_blob *b, const char *name, uint64_t off, void *buf,
                                     size_t n, size_t *got_out, struct sd_err *err);
/** Destroys the object's key, then its data. SD_E_NOT_FOUND when absent. */
SD_MUST_CHECK sd_status sd_blob_delete(sd_blob *b, const char *name, struct sd_err *err);

/**
 * Cuts an open writer back to @at bytes (at most its size), durably: the
 * bytes after @at are gone, also after a crash. A resumed upload uses it to
 * drop bytes that reached the disk but were never acknowledged.
 */
SD_MUST_CHECK sd_status sd_blob_writer_truncate(sd_blob_writer *w, uint64_t at,
                                                struct sd_err *err);

#endif
