# fails: LPI001 LPI002 LPI003 LPI005 LPI006 LPI008 LPI010 LPI011 LPI012
FROM python:3.12
WORKDIR /usr/src/app
RUN apt-get update && apt-get install -y gcc libpq-dev && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install -r requirements.txt
EXPOSE 8000
CMD python manage.py runserver 0.0.0.0:8000
