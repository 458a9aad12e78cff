#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Measures what a workspace vocabulary does to recognition of product terms.

Speaks SENTENCES (support questions full of SaaS product names and jargon)
with Debian's flite (voices slt and kal), then transcribes each recording
with `showdesk transcribe --format text` twice: without a vocabulary, and
with `--vocabulary` naming the TERMS a workspace would list (the terms only,
never the sentences). Prints per sentence and overall: word error rate, and
term recall (the share of the terms in the references that are found in the
hypothesis, in order, as whole words). Then the same on the real read speech
of ../shared/data/speech with the vocabulary on, to show that it costs the
general words little.

    scripts/eval_vocab.py [--bin PATH] [--data DIR] [--skip-general]

Python 3 standard library, flite and the showdesk binary.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import eval_asr  # noqa: E402  (normalise, edits)

ROOT = os.path.dirname(HERE)

TERMS = [
    'Salesforce sync', 'SAML', 'single sign on', 'SSO', 'Zendesk', 'webhooks', 'HubSpot',
    'Kubernetes', 'Jira', 'OAuth', 'Stripe', 'QuickBooks', 'Intercom', 'Freshdesk', 'Okta',
    'two factor authentication', 'API key', 'CSV export', 'dashboard', 'workspace',
    'Slack', 'Shopify', 'Mailchimp', 'Zapier',
]

# (what flite says, the reference as the transcript should read)
SENTENCES = [
    'our salesforce sync stopped working this morning',
    'i cannot log in with saml single sign on anymore',
    'the zendesk integration creates every ticket twice',
    'none of our webhooks are firing since the update',
    'the hubspot connector keeps losing its token',
    'our kubernetes deployment fails on the health check',
    'jira issues are no longer linked to the tickets',
    'the oauth consent screen shows an error for new users',
    'stripe payments do not show up on the invoices',
    'quickbooks does not receive the invoices at all',
    'the intercom messenger does not open on mobile',
    'we are moving from freshdesk and need to import tickets',
    'okta users cannot reach the dashboard',
    'please turn off two factor authentication for my account',
    'where do i create a new api key for the workspace',
    'the csv export is empty when i choose last month',
    'slack notifications arrive twice in every channel',
    'the shopify orders are missing from the report',
    'mailchimp lists do not update after the zapier step',
    'sso with okta works but saml with google fails',
]


def term_words():
    out = set()
    for t in TERMS:
        out.update(eval_asr.normalise(t))
    common = {'sign', 'on', 'single', 'two', 'factor', 'key', 'export', 'sync'}
    return out - common


def transcribe(binary, path, vocab):
    args = [binary, 'transcribe', '--format', 'text', path]
    if vocab:
        args += ['--vocabulary', vocab]
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f'eval_vocab: transcribe failed on {path}: {r.stderr.strip()}')
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build-release', 'showdesk'))
    ap.add_argument('--data', default=os.environ.get('SPEECH_DATA') or
                    os.path.join(ROOT, '..', 'shared', 'data', 'speech'))
    ap.add_argument('--skip-general', action='store_true')
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        sys.exit(f'eval_vocab: {a.bin} is missing: build it first (make)')
    tmp = tempfile.mkdtemp(prefix='showdesk-vocab-')
    vocab = os.path.join(tmp, 'vocabulary.txt')
    with open(vocab, 'w') as f:
        f.write('\n'.join(TERMS) + '\n')
    terms = term_words()
    tot = {False: [0, 0, 0, 0], True: [0, 0, 0, 0]}  # edits, words, terms found, terms
    print('| sentence | voice | WER without | WER with | terms without | terms with |')
    print('|---|---|---:|---:|---:|---:|')
    for i, text in enumerate(SENTENCES):
        voice = 'slt' if i % 2 == 0 else 'kal'
        wav = os.path.join(tmp, f's{i}.wav')
        subprocess.run(['flite', '-voice', voice, '-t', text, '-o', wav], check=True)
        ref = eval_asr.normalise(text)
        ref_terms = [w for w in ref if w in terms]
        row = []
        for use in (False, True):
            hyp = eval_asr.normalise(transcribe(a.bin, wav, vocab if use else None))
            e = eval_asr.edits(ref, hyp)
            found = sum(1 for w in ref_terms if w in hyp)
            t = tot[use]
            t[0] += e
            t[1] += len(ref)
            t[2] += found
            t[3] += len(ref_terms)
            row.append((e / len(ref), found, len(ref_terms)))
        print(f'| {text[:48]} | {voice} | {row[0][0]:.0%} | {row[1][0]:.0%} | '
              f'{row[0][1]}/{row[0][2]} | {row[1][1]}/{row[1][2]} |')
    for use in (False, True):
        t = tot[use]
        print(f'\n{"with" if use else "without"} the vocabulary: WER {t[0] / t[1]:.1%}, '
              f'product terms found {t[2]}/{t[3]} ({t[2] / t[3]:.0%})', end='')
    print()
    if not a.skip_general:
        refs = {}
        with open(os.path.join(a.data, 'references.tsv')) as f:
            for line in f:
                k, _, v = line.rstrip('\n').partition('\t')
                refs[k] = v
        tg = {False: [0, 0], True: [0, 0]}
        for k in sorted(refs):
            wav = os.path.join(a.data, k + '.wav')
            ref = eval_asr.normalise(refs[k])
            for use in (False, True):
                hyp = eval_asr.normalise(transcribe(a.bin, wav, vocab if use else None))
                tg[use][0] += eval_asr.edits(ref, hyp)
                tg[use][1] += len(ref)
        print(f'\nread speech of {a.data}: WER {tg[False][0] / tg[False][1]:.1%} without, '
              f'{tg[True][0] / tg[True][1]:.1%} with the vocabulary')


if __name__ == '__main__':
    main()
