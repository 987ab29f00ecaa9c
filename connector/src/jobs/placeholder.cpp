// Replaced as the jobs component lands.
