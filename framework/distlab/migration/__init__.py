"""The live-migration study: a VM's memory, the link it moves over, and the clock they share."""
