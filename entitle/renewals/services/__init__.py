"""Every change renewals make.

reminders.py: the daily reminder sweep, the reminder mails, registering from a reminder;
partners.py: the partner directory listing, renewal requests and e-mails to partners;
shop.py: ordering online from the vendor's shop, and renewing once its voucher is redeemed;
registration.py: a new registration link for a PO email, asked for from the log-in page.
"""
