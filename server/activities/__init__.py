"""Activities (帮扶活动): 送教, lectures, open days … with their codes and posters."""
