"""学时证明: certificates of a teacher's hours, printable and verifiable by anyone."""
