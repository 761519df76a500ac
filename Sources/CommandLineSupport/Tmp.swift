enum PlaceholderCommandLineSupport {}
