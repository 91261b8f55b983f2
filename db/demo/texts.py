"""Short texts the demo staff would write: touchpoint subjects, ticket bodies, task titles."""

from __future__ import annotations

from crm_core.models.enums import Channel, TicketCategory

# Subjects per channel: (inbound, outbound).
INTERACTION_SUBJECTS: dict[Channel, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Channel.PHONE: (
        ("Asked about bulk pricing", "Called about a late delivery", "Question on invoice",
         "Asked for stock of Gayo beans", "Wants to change delivery address"),
        ("Follow-up call after order", "Quote walkthrough", "Reorder reminder call",
         "Payment reminder", "Introduced new tea range"),
    ),
    Channel.WHATSAPP: (
        ("Tanya status pesanan lewat WA", "Asked for the tracking number", "Sent a photo of a "
         "damaged pack", "Asked whether Gayo beans are in stock", "Tanya cara bayar"),
        ("Sent the tracking number", "Order confirmation on WhatsApp", "Promo broadcast reply",
         "Payment reminder", "Shared new product photos"),
    ),
    Channel.EMAIL: (
        ("Request for quotation", "Question about product specs", "Invoice copy request",
         "Feedback on last delivery", "Asked for catalogue PDF"),
        ("Sent quotation", "Order confirmation", "Monthly price list", "Thank-you note",
         "Shared new product brochure"),
    ),
    Channel.MEETING: (
        ("Visited our showroom", "Tasting session at our office"),
        ("Quarterly business review", "Pantry supply review on site", "Cupping session",
         "Contract renewal meeting", "Introductory meeting"),
    ),
    Channel.WEB: (
        ("Filled in the contact form", "Abandoned cart", "Downloaded the catalogue",
         "Signed up for the newsletter", "Viewed pricing page"),
        ("Sent web chat transcript", "Web push: restock alert"),
    ),
    Channel.CHAT: (
        ("Web chat: payment proof", "Web chat: opening hours", "Web chat: product question"),
        ("Web chat: promo broadcast", "Web chat: order status"),
    ),
    Channel.WHATSAPP: (
        ("Where is my order?", "Product question", "Sent the payment proof",
         "Asked for a promo code", "Asked to reorder the usual"),
        ("Shipping update", "Reorder reminder", "Sent the price list", "Promo broadcast"),
    ),
    Channel.STORE: (
        ("Walk-in purchase advice", "Picked up an order in store", "Brought a product back",
         "Asked for a grinder demo"),
        ("Invited to in-store tasting",),
    ),
    Channel.SOCIAL: (
        ("Instagram DM: product question", "Commented on our Ramadan post",
         "Tagged us in a review", "Facebook message: stock question"),
        ("Replied to Instagram DM", "Thanked for the review"),
    ),
}  # fmt: skip

INTERACTION_NOTES: tuple[str | None, ...] = (
    None,
    None,
    None,
    "Happy with the last order; expects to reorder next month.",
    "Asked for a better price on volumes above 20 kg.",
    "Prefers delivery on weekday mornings.",
    "Interested in the new single-origin range.",
    "Compared us with a marketplace seller; price sensitive.",
    "Budget for next quarter not yet approved.",
    "Wants samples before committing.",
    "Complained that the last box arrived damaged.",
    "Will share our catalogue with the purchasing team.",
    "Pays by bank transfer; needs tax invoice (faktur pajak).",
    "Mentioned a new branch opening soon.",
    "Asked to be contacted by WhatsApp rather than email.",
    "Very satisfied with the service.",
)

LEAD_COMPANY_WORDS = ("Kafe", "Hotel", "PT", "Klinik", "Toko", "Sekolah", "Resto", "Kantor")

LOST_REASONS_EARLY = {"no response": 50, "timing": 20, "no budget": 20, "price": 10}
LOST_REASONS_LATE = {"price": 35, "chose competitor": 30, "no budget": 15, "timing": 15,
                     "no response": 5}  # fmt: skip

TICKET_SUBJECTS: dict[TicketCategory, tuple[str, ...]] = {
    TicketCategory.BILLING: (
        "Charged twice for one order", "Invoice amount does not match quote",
        "Need a tax invoice (faktur pajak)", "Refund not received", "Payment not confirmed",
    ),
    TicketCategory.DELIVERY: (
        "Order has not arrived", "Package arrived damaged", "Wrong item delivered",
        "Courier could not find the address", "Delivery is incomplete",
    ),
    TicketCategory.PRODUCT: (
        "Coffee tastes stale", "Grinder stopped working", "Missing parts in the box",
        "Expiry date too close", "Question about roast date",
    ),
    TicketCategory.TECHNICAL: (
        "Cannot log in to the web shop", "Checkout page shows an error",
        "Promo code is not accepted", "App crashes on payment",
    ),
    TicketCategory.ACCOUNT: (
        "Change company billing details", "Add a second delivery address",
        "Close my account", "Update contact person",
    ),
    TicketCategory.OTHER: (
        "Request for a partnership", "Question about opening hours", "Feedback on packaging",
    ),
}  # fmt: skip

TICKET_BODY = (
    "Hello, {subject_lower}. Please help as soon as possible. Thank you.",
    "Selamat siang, {subject_lower}. Mohon dibantu, terima kasih.",
    "Hi team, {subject_lower}. Order reference is in my account history.",
)

TICKET_COMMENTS = (
    "Asked the customer for the order number.",
    "Checked with the warehouse; replacement on its way.",
    "Escalated to the finance team.",
    "Customer confirmed the issue is solved.",
    "Sent troubleshooting steps.",
    "Waiting for the courier's report.",
)

TASK_TITLES = (
    "Call back about the quotation",
    "Send updated price list",
    "Follow up on unpaid invoice",
    "Schedule a tasting session",
    "Check satisfaction after delivery",
    "Propose the office pantry bundle",
    "Confirm next month's reorder",
    "Send samples of the new tea range",
)

LEAD_TASK_TITLES = (
    "Qualify the lead by phone",
    "Send the proposal",
    "Follow up on the proposal",
    "Book a demo meeting",
    "Negotiate volume discount",
)
