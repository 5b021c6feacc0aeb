"""ivr: menu model and engine, no I/O (menus arrive with the IVR issue), and the names of the
channel variables that the dialplan and the AGI routes share."""
