"""oleg's ``vw-logistic`` recommender: Vowpal Wabbit's logistic regression over hashed
namespaces, with the subscriber's past, scored over a pool in one numpy pass."""
