"""Every change to licences, devices and licence files.

licences.py: create, increase, renew (consuming locker credits), suspend, reinstate;
devices.py: register devices, assign licences ("Add License"), issue licence files;
product.py: what the licensed product asks online (activate, validate).
"""
