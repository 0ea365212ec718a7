"""The shipped demo: a UK point-of-sale credit broker's recorded finance conversations.

``python -m harness.demo.generate --out corpus/demo`` regenerates ``corpus/demo/`` byte for
byte. The modules, in the order the generator uses them: :mod:`~harness.demo.quotes` (the
finance figures), :mod:`~harness.demo.scripts` (the steps of a conversation),
:mod:`~harness.demo.phrasebook` (what customers say), :mod:`~harness.demo.production` (what
the production agent said, slips included) and :mod:`~harness.demo.transcripts` (the
recorded turns and their golden labels).
"""
