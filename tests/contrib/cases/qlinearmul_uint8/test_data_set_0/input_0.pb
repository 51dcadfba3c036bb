Bx0JEdêsym¦lN–ûIïK¯YÒ•å£•}
¶£