mod customers;
