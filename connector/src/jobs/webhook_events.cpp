// placeholder: the webhook event job lands here
