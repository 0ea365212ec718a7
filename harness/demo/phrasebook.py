"""What demo customers say, by step of the conversation.

Lines are templates filled with ``str.format`` from the case (``product_name``,
``installer``, ``lender``). Each step's lines carry the words that make the step clear to a
reader, and no words of another step: an opener never asks about cost, a question about the
payments never declines. Only lines in :data:`VULNERABILITY_MENTIONS` mention bereavement,
illness or money worries.

>>> OPENERS["heat_pump"][0].format(installer="Greenfield Heating", product_name="heat pump")
'Hi, the engineer from Greenfield Heating said you could help me with finance for the heat pump.'
"""

from __future__ import annotations

_GENERAL_OPENERS = (
    "Hi, the engineer from {installer} said you could help me with finance for the {product_name}.",
    "Hello, we're getting a {product_name} from {installer} and I wanted to look at finance.",
    "Hi there, {installer} gave me your details and said you could sort out finance.",
    "Good morning. I'm interested in finance for a {product_name} from {installer}.",
    "Hi, is this where I sort out finance for the {product_name}?",
)
OPENERS: dict[str, tuple[str, ...]] = {
    "heat_pump": (
        *_GENERAL_OPENERS,
        "Hello, our boiler is on its last legs and {installer} recommended a {product_name}. "
        "They said finance was available?",
    ),
    "solar_pv": (
        *_GENERAL_OPENERS,
        "Hi, we've had a survey from {installer} for solar panels and I'd like to know about "
        "finance.",
    ),
    "battery": (
        *_GENERAL_OPENERS,
        "Hi, we already have solar and {installer} suggested adding a {product_name}. Can I "
        "get finance for it?",
    ),
}

HURRY_CLAUSES = (
    "I'm in a bit of a hurry though.",
    "I've only got ten minutes before the school run, so quickly please.",
    "Sorry, I'm short on time today.",
    "Can we be quick? I'm pushed for time.",
    "I'm in a rush, I need to be back at work soon.",
)

# Each line names at least one trigger of the vulnerability_support disclosure.
VULNERABILITY_MENTIONS = (
    "My husband passed away in the spring and he always dealt with this sort of thing.",
    "I lost my wife last year, so I'm doing all this on my own now.",
    "I've not long come out of hospital, so I'm trying to get the house sorted.",
    "I'm being treated for cancer at the moment, so bear with me.",
    "Money's tight at the moment, so I want to be careful.",
    "I'll be honest, I've got money worries since I was made redundant.",
    "I'm a bit worried about money since I lost my job.",
    "We're struggling with bills as it is, so I need to be careful.",
)

EARLY_COST_QUESTIONS = (
    "Before anything else, how much would it be a month?",
    "What sort of monthly payments are we talking about?",
    "Can you tell me roughly what it would cost per month?",
    "What's the interest rate on this?",
)
ELIGIBILITY_QUESTIONS = (
    "Could you check whether I'd be accepted?",
    "Can you see if I'd qualify?",
    "Is it possible to check my eligibility first?",
    "Would you be able to check if I can get the finance?",
    "OK. Can you run a check to see if I'd qualify?",
)
# After the eligibility check: the customer moves on without asking about cost...
AFTER_CHECK_NEXT = (
    "Oh good, it says I'm likely to be accepted. What happens next?",
    "That was quick. It says I'm eligible, so what's next?",
    "Great, that's good news. Where do we go from here?",
)
# ...or asks about cost.
AFTER_CHECK_COST = (
    "Brilliant. So what would the monthly payments be?",
    "Great. And how much would I pay each month?",
    "Good news. What would it cost me per month, and for how long?",
    "OK, and what's the APR?",
)
# A hurried customer who asks about commission while asking about cost.
COST_AND_COMMISSION = (
    "Quickly, what would it be a month? And do you get commission on this?",
    "What's the monthly cost, and is there any commission for you in it?",
)
AFTER_CHECK_PAUSE = (
    "Thanks, that's useful. I'll have a think and talk it over with my partner.",
    "OK, good to know. I'm going to leave it there for today.",
    "Thanks. I'd like to think about it before going any further.",
)
VULNERABLE_PAUSE = (
    "Can we pause here? I'd like to talk it through with my son first.",
    "Thank you. I think I'll come back to this when I'm feeling better.",
)
EARLY_DECLINES = (
    "Actually, I think we'll just pay for it outright. Thanks anyway.",
    "To be honest I'd rather not take out finance, thanks.",
    "I think we'll pay upfront after all. No thanks.",
)
OFFER_DECLINES = (
    "Hmm, that's more than I was hoping. I'll leave it for now, thanks.",
    "I don't think it's for us after all, no thanks.",
    "No thank you, we'll save up and pay outright instead.",
)
APPLY = (
    "That all sounds fine. Let's apply.",
    "OK, I'd like to go ahead and apply please.",
    "Go on then, let's do it.",
    "Perfect, sign me up.",
)
AFTER_APPLICATION = (
    "It says I've been accepted by {lender}! What do I do now?",
    "I've had an email from {lender} saying I'm approved. What happens now?",
    "It's come back approved. What's the next step?",
)
AFTER_SIGNING = (
    "All signed. Thanks for your help!",
    "Done, I've signed it. Cheers.",
    "That's all signed now, thank you.",
)
