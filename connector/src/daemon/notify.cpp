// placeholder: replaced as the daemon lands
